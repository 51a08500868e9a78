//! The registry client against a REAL registry (Debian's `docker-registry`, distribution v2):
//! an image is pushed over the registry's own API (two blob uploads, a manifest PUT), then read
//! back through the client — catalog, tags, digest, size, push time. Started by
//! `core/tests/registry/run`, which sets `SIGNALCRAFT_TEST_REGISTRY_URL`.

use super::{TIMEOUT, connector};
use sha2::Digest;
use signalcraft_core::monitors::{Connector, RegistryTarget};

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// POST an upload, PUT the blob with its digest (the monolithic upload of the distribution
/// spec).
async fn push_blob(http: &reqwest::Client, base: &str, name: &str, blob: &[u8]) -> String {
    let d = digest(blob);
    let started = http
        .post(format!("{base}/v2/{name}/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status().as_u16(), 202, "upload start");
    let location = started.headers()["location"].to_str().unwrap().to_string();
    let location = reqwest::Url::parse(base).unwrap().join(&location).unwrap();
    let sep = if location.query().is_some() { '&' } else { '?' };
    let done = http
        .put(format!("{location}{sep}digest={d}"))
        .header("Content-Type", "application/octet-stream")
        .body(blob.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.status().as_u16(),
        201,
        "blob put: {}",
        done.text().await.unwrap()
    );
    d
}

#[tokio::test]
#[ignore = "needs a real registry: core/tests/registry/run starts one and runs this"]
async fn pushed_image_reads_back_through_the_client() {
    let base = std::env::var("SIGNALCRAFT_TEST_REGISTRY_URL").expect(
        "SIGNALCRAFT_TEST_REGISTRY_URL is unset: run core/tests/registry/run (it starts docker-registry on 127.0.0.1)",
    );
    let base = base.trim_end_matches('/').to_string();
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "loopback only: {base}"
    );
    let http = reqwest::Client::builder().timeout(TIMEOUT).build().unwrap();
    let name = "acme/api";

    let layer: Vec<u8> = (0..40_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let layer_digest = push_blob(&http, &base, name, &layer).await;
    let created = "2026-02-27T09:17:45.123456789Z";
    let config = serde_json::to_vec(&serde_json::json!({
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/api"]},
        "rootfs": {"type": "layers", "diff_ids": [digest(&layer)]},
        "history": [{"created": created, "created_by": "signalcraft test"}]
    }))
    .unwrap();
    let config_digest = push_blob(&http, &base, name, &config).await;
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}]
    }))
    .unwrap();
    let mut pushed = Vec::new();
    for tag in ["1.4.1", "1.4.2"] {
        let r = http
            .put(format!("{base}/v2/{name}/manifests/{tag}"))
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .body(manifest.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "manifest put");
        pushed.push(
            r.headers()["docker-content-digest"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(pushed[0], digest(&manifest));

    let reg = connector()
        .registry(
            &RegistryTarget {
                registry_url: base.clone(),
                username: None,
                password: None,
            },
            TIMEOUT,
        )
        .unwrap();
    assert!(
        reg.repositories()
            .await
            .unwrap()
            .contains(&name.to_string())
    );
    // distribution lists tags in its storage's order: compare as a set.
    let mut tags = reg.tags(name).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["1.4.1", "1.4.2"]);
    let tag = reg.tag(name, "1.4.2").await.unwrap();
    assert_eq!(tag.digest.as_deref(), Some(digest(&manifest).as_str()));
    assert_eq!(tag.size_bytes, Some((config.len() + layer.len()) as u64));
    assert_eq!(
        tag.pushed_at.unwrap(),
        created.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
    );
    // A tag that is not there: the registry's own MANIFEST_UNKNOWN, typed.
    match reg.tag(name, "9.9.9").await.unwrap_err() {
        signalcraft_core::monitors::ClientError::Http {
            status: 404, body, ..
        } => {
            assert!(body.contains("MANIFEST_UNKNOWN"), "{body}")
        }
        other => panic!("{other:?}"),
    }
}
