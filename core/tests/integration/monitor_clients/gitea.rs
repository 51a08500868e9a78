//! Gitea: repository, organization repositories over two pages (`Link`), the latest commit,
//! Actions runs (1.24+) and the `actions/tasks` fallback (1.22–1.23), errors.

use super::{TIMEOUT, connector, json, path_only, query_param};
use crate::http::{Reply, TestServer};
use signalcraft_core::monitors::{ClientError, Connector, ForgeTarget, GitForge};
use std::sync::Arc;

fn forge(server: &TestServer) -> Arc<dyn GitForge> {
    connector()
        .git_forge(
            &ForgeTarget {
                forge: "gitea".into(),
                base_url: server.url(""),
                token: Some("gitea-token-1".into()),
            },
            TIMEOUT,
        )
        .unwrap()
}

#[tokio::test]
async fn repository_and_latest_commit() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/api/v1/repos/acme/api" => json(200, "gitea/repo.json"),
        "/api/v1/repos/acme/api/commits" => json(200, "gitea/commits.json")
            .with_header("X-Total-Count", "214")
            .with_header("X-HasMore", "true"),
        _ => json(404, "gitea/error_404.json"),
    });
    let g = forge(&server);
    let repo = g.repository("acme", "api").await.unwrap();
    assert_eq!(repo.default_branch, "main");
    assert_eq!(repo.full_name, "acme/api");
    assert_eq!(repo.owner, "acme");
    assert_eq!(repo.html_url, "http://127.0.0.1:3000/acme/api");
    assert_eq!(
        repo.updated_at.unwrap().to_rfc3339(),
        "2026-02-28T17:42:10+00:00"
    );

    let c = g.latest_commit("acme", "api", "main").await.unwrap();
    assert_eq!(c.sha, "5f1e0c8a9d2b4c7e8f0a1b2c3d4e5f60718293a4");
    assert!(c.message.starts_with("api: bound the export query"));
    assert_eq!(c.author, "Dana Ops");
    assert_eq!(c.at.unwrap().to_rfc3339(), "2026-02-28T17:40:02+00:00");
    assert!(
        c.url
            .ends_with("/acme/api/commit/5f1e0c8a9d2b4c7e8f0a1b2c3d4e5f60718293a4")
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some("token gitea-token-1"))
    );
    assert_eq!(query_param(&reqs[1].path, "sha").as_deref(), Some("main"));
    assert_eq!(query_param(&reqs[1].path, "limit").as_deref(), Some("1"));
}

#[tokio::test]
async fn organization_repositories_follow_the_link_header() {
    let server = TestServer::start(|r, _| {
        let page = query_param(&r.path, "page").unwrap_or_default();
        match (path_only(&r.path), page.as_str()) {
            ("/api/v1/orgs/acme/repos", "1") => json(200, "gitea/org_repos_page1.json")
                .with_header("X-Total-Count", "3")
                .with_header(
                    "Link",
                    &format!(
                        "<http://{}/api/v1/orgs/acme/repos?limit=2&page=2>; rel=\"next\",<http://{}/api/v1/orgs/acme/repos?limit=2&page=2>; rel=\"last\"",
                        r.header("host").unwrap(),
                        r.header("host").unwrap()
                    ),
                ),
            ("/api/v1/orgs/acme/repos", "2") => json(200, "gitea/org_repos_page2.json")
                .with_header("X-Total-Count", "3")
                .with_header(
                    "Link",
                    &format!(
                        "<http://{}/api/v1/orgs/acme/repos?limit=2&page=1>; rel=\"first\"",
                        r.header("host").unwrap()
                    ),
                ),
            ("/api/v1/orgs/dana/repos", _) => json(404, "gitea/error_404.json"),
            ("/api/v1/users/dana/repos", _) => json(200, "gitea/org_repos_page2.json"),
            _ => json(404, "gitea/error_404.json"),
        }
    });
    let g = forge(&server);
    let repos = g.repositories("acme").await.unwrap();
    let names: Vec<_> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["api", "web", "worker"]);
    assert_eq!(repos[2].default_branch, "trunk");
    assert_eq!(server.requests().len(), 2);

    // A user, not an organization: the users endpoint.
    let repos = g.repositories("dana").await.unwrap();
    assert_eq!(repos.len(), 1);
    let last = server.requests().pop().unwrap();
    assert_eq!(path_only(&last.path), "/api/v1/users/dana/repos");
}

#[tokio::test]
async fn actions_runs_on_the_branch() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/api/v1/repos/acme/api/actions/runs" => json(200, "gitea/actions_runs.json"),
        "/api/v1/repos/acme/web/actions/runs" => json(200, "gitea/actions_runs_running.json"),
        _ => json(404, "gitea/error_404.json"),
    });
    let g = forge(&server);
    let runs = g.workflow_runs("acme", "api", "main", 5).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, 41);
    assert_eq!(runs[0].name, "ci.yml");
    assert_eq!(runs[0].status, "completed");
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(runs[0].branch.as_deref(), Some("main"));
    assert_eq!(
        runs[0].url,
        "http://127.0.0.1:3000/acme/api/actions/runs/19"
    );
    assert_eq!(
        runs[0].at.unwrap().to_rfc3339(),
        "2026-02-28T17:40:10+00:00"
    );
    assert_eq!(runs[1].conclusion.as_deref(), Some("success"));
    let asked = &server.requests()[0];
    assert_eq!(query_param(&asked.path, "branch").as_deref(), Some("main"));
    assert_eq!(query_param(&asked.path, "limit").as_deref(), Some("5"));

    // A run in progress has no conclusion; Go's zero time is no time.
    let runs = g.workflow_runs("acme", "web", "main", 1).await.unwrap();
    assert_eq!(runs[0].status, "in_progress");
    assert_eq!(runs[0].conclusion, None);
}

#[tokio::test]
async fn older_gitea_falls_back_to_actions_tasks() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/api/v1/repos/acme/api/actions/tasks" => json(200, "gitea/actions_tasks.json"),
        _ => json(404, "gitea/error_404.json"),
    });
    let runs = forge(&server)
        .workflow_runs("acme", "api", "main", 10)
        .await
        .unwrap();
    // The `feature/x` task is not on the branch.
    let ids: Vec<_> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [77, 75]);
    assert_eq!(runs[0].status, "completed");
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(runs[1].conclusion.as_deref(), Some("success"));
    let paths: Vec<_> = server
        .requests()
        .iter()
        .map(|r| path_only(&r.path).to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/v1/repos/acme/api/actions/runs",
            "/api/v1/repos/acme/api/actions/tasks"
        ]
    );
}

#[tokio::test]
async fn errors_are_typed() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/api/v1/repos/acme/private" => json(401, "gitea/error_401.json"),
        "/api/v1/repos/acme/busy" => Reply::status(429).with_header("Retry-After", "30"),
        "/api/v1/repos/acme/api/actions/runs" => Reply::json(
            200,
            serde_json::json!({"workflow_runs": [{"id": 1, "head_branch": "main"}], "total_count": 1}),
        ),
        _ => json(404, "gitea/error_404.json"),
    });
    let g = forge(&server);
    match g.repository("acme", "private").await.unwrap_err() {
        ClientError::Http { status, body, url } => {
            assert_eq!(status, 401);
            assert!(body.contains("token is required"), "{body}");
            assert!(url.ends_with("/api/v1/repos/acme/private"), "{url}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        g.repository("acme", "busy").await.unwrap_err(),
        ClientError::RateLimited {
            url: server.url("/api/v1/repos/acme/busy"),
            retry_after_secs: Some(30)
        }
    );
    match g.workflow_runs("acme", "api", "main", 5).await.unwrap_err() {
        ClientError::BadResponse { path, .. } => assert_eq!(path, "workflow_runs[0].status"),
        other => panic!("{other:?}"),
    }
    match g.latest_commit("acme", "gone", "main").await.unwrap_err() {
        ClientError::Http { status: 404, .. } => {}
        other => panic!("{other:?}"),
    }
    let e = connector()
        .git_forge(
            &ForgeTarget {
                forge: "gitlab".into(),
                base_url: server.url(""),
                token: None,
            },
            TIMEOUT,
        )
        .err()
        .unwrap();
    assert_eq!(e.kind(), "config");
}

#[tokio::test]
async fn a_slow_forge_is_a_timeout_within_the_bound() {
    let server = TestServer::start(|_, _| {
        json(200, "gitea/repo.json").after(std::time::Duration::from_secs(3))
    });
    let g = connector()
        .git_forge(
            &ForgeTarget {
                forge: "gitea".into(),
                base_url: server.url(""),
                token: None,
            },
            std::time::Duration::from_millis(300),
        )
        .unwrap();
    let started = std::time::Instant::now();
    match g.repository("acme", "api").await.unwrap_err() {
        ClientError::Timeout { after_ms, .. } => assert_eq!(after_ms, 300),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_default_connector_refuses_loopback_before_sending() {
    let server = TestServer::start(|_, _| json(200, "gitea/repo.json"));
    let g = signalcraft_core::monitors::clients::RealConnector::default()
        .git_forge(
            &ForgeTarget {
                forge: "gitea".into(),
                base_url: server.url(""),
                token: Some("gitea-token-1".into()),
            },
            TIMEOUT,
        )
        .unwrap();
    match g.repository("acme", "api").await.unwrap_err() {
        ClientError::Transport { message, .. } => {
            assert!(message.contains("loopback"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        server.requests().is_empty(),
        "nothing may reach a refused target"
    );
}

#[tokio::test]
async fn an_exhausted_quota_answered_403_is_rate_limited_until_its_reset() {
    let reset = (chrono::Utc::now().timestamp() + 90).to_string();
    let server = TestServer::start(move |_, _| {
        Reply::json(
            403,
            serde_json::json!({"message": "API rate limit exceeded"}),
        )
        .with_header("X-RateLimit-Limit", "5000")
        .with_header("X-RateLimit-Remaining", "0")
        .with_header("X-RateLimit-Reset", &reset)
    });
    match forge(&server).repository("acme", "api").await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs: Some(s),
            ..
        } => assert!((88..=90).contains(&s), "{s}"),
        other => panic!("{other:?}"),
    }
}
