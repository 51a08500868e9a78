//! The real clients behind the monitor traits, one file per API, and the [`RealConnector`]
//! that makes them from targets.

use super::{
    ClientError, CloudProvider, CloudTarget, Cluster, ClusterTarget, Connector, ContainerRegistry,
    ForgeTarget, GitForge, RegistryTarget, ServiceProbe, UsageSource, UsageTarget,
};
use std::sync::Arc;
use std::time::Duration;

/// Makes the real clients (reqwest, through [`super::http::client`]).
#[derive(Debug, Clone, Default)]
pub struct RealConnector;

fn unsupported(what: &str) -> ClientError {
    ClientError::config("config", format!("no {what} client in this build"))
}

impl Connector for RealConnector {
    fn git_forge(
        &self,
        _target: &ForgeTarget,
        _timeout: Duration,
    ) -> Result<Arc<dyn GitForge>, ClientError> {
        Err(unsupported("git forge"))
    }

    fn registry(
        &self,
        _target: &RegistryTarget,
        _timeout: Duration,
    ) -> Result<Arc<dyn ContainerRegistry>, ClientError> {
        Err(unsupported("registry"))
    }

    fn cluster(
        &self,
        _target: &ClusterTarget,
        _timeout: Duration,
    ) -> Result<Arc<dyn Cluster>, ClientError> {
        Err(unsupported("kubernetes"))
    }

    fn cloud(
        &self,
        _target: &CloudTarget,
        _timeout: Duration,
    ) -> Result<Arc<dyn CloudProvider>, ClientError> {
        Err(unsupported("cloud"))
    }

    fn probe(&self, timeout: Duration) -> Result<Arc<dyn ServiceProbe>, ClientError> {
        Ok(Arc::new(super::probe::HttpProbe::new(timeout)?))
    }

    fn usage(
        &self,
        _target: &UsageTarget,
        _timeout: Duration,
    ) -> Result<Arc<dyn UsageSource>, ClientError> {
        Err(unsupported("usage"))
    }
}
