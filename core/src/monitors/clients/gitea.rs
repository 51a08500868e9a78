//! Gitea's REST API (`{base_url}/api/v1`, also Forgejo's), token auth
//! (`Authorization: token X`).
//!
//! - `GET /repos/{owner}/{repo}`: default branch, web page.
//! - `GET /orgs/{owner}/repos` (a user's: `/users/{owner}/repos`), `?page=&limit=`, following
//!   the `Link: <…>; rel="next"` header Gitea sets (and stopping on an empty page).
//! - `GET /repos/{owner}/{repo}/commits?sha=BRANCH&limit=1&stat=false…`: the latest commit.
//! - `GET /repos/{owner}/{repo}/actions/runs?branch=BRANCH&limit=N` (Gitea 1.24+,
//!   `ActionWorkflowRunsResponse`: `{workflow_runs, total_count}`); on 404 (Gitea 1.22–1.23)
//!   the older `GET /repos/{owner}/{repo}/actions/tasks` (`ActionTaskResponse`), whose job
//!   statuses (`success`, `failure`, `running`, `waiting`…) are mapped to the runs' status and
//!   conclusion the same way Gitea's `ToActionsStatus` does.

use super::{Api, Auth, Doc, MAX_PAGES, endpoint, next_link, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{
    ClientError, ClientFuture, ForgeCommit, ForgeRepository, ForgeTarget, GitForge, WorkflowRun,
};
use serde_json::Value;

/// Page size asked of list endpoints (Gitea's default maximum is 50).
const PAGE_LIMIT: usize = 50;

/// A Gitea client.
#[derive(Debug, Clone)]
pub struct Gitea {
    api: Api,
    base: String,
    auth: Auth,
}

impl Gitea {
    /// A client for the forge at `target.base_url` (its root: `https://git.example.com`).
    pub fn new(target: &ForgeTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let root = super::base_url(&target.base_url, "config.base_url")?;
        let base = endpoint(root.as_str(), "config.base_url", &["api", "v1"], &[])?.to_string();
        Ok(Gitea {
            api: Api::new(options)?,
            base,
            auth: target.token.clone().map_or(Auth::None, Auth::Token),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<reqwest::Url, ClientError> {
        endpoint(&self.base, "config.base_url", segments, query)
    }

    async fn repository_of(&self, owner: &str, repo: &str) -> Result<ForgeRepository, ClientError> {
        let url = self.url(&["repos", owner, repo], &[])?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        parse_repository(&Doc::new(url.as_str()), &body)
    }

    async fn repositories_of(&self, owner: &str) -> Result<Vec<ForgeRepository>, ClientError> {
        let limit = PAGE_LIMIT.to_string();
        let mut url = self.url(
            &["orgs", owner, "repos"],
            &[("limit", &limit), ("page", "1")],
        )?;
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let (body, headers) = match self.api.get_json(&url, &self.auth).await {
                Err(ClientError::Http { status: 404, .. }) if page == 0 => {
                    // Not an organization: a user.
                    url = self.url(
                        &["users", owner, "repos"],
                        &[("limit", &limit), ("page", "1")],
                    )?;
                    self.api.get_json(&url, &self.auth).await?
                }
                other => other?,
            };
            let doc = Doc::new(url.as_str());
            let items = body
                .as_array()
                .ok_or_else(|| doc.bad("", "expected an array of repositories"))?;
            for (i, item) in items.iter().enumerate() {
                out.push(parse_repository(&doc.at(&format!("[{i}].")), item)?);
            }
            match next_link(&headers, &url) {
                Some(next) if !items.is_empty() => url = next,
                _ => break,
            }
        }
        Ok(out)
    }

    async fn latest_commit_of(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<ForgeCommit, ClientError> {
        let url = self.url(
            &["repos", owner, repo, "commits"],
            &[
                ("sha", branch),
                ("limit", "1"),
                ("stat", "false"),
                ("verification", "false"),
                ("files", "false"),
            ],
        )?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str());
        let first = body
            .as_array()
            .ok_or_else(|| doc.bad("", "expected an array of commits"))?
            .first()
            .ok_or_else(|| doc.bad("[0]", &format!("no commit on branch {branch:?}")))?;
        let doc = doc.at("[0].");
        let at = match doc.opt_time(first, "commit.committer.date")? {
            Some(t) => Some(t),
            None => doc.opt_time(first, "commit.author.date")?,
        };
        Ok(ForgeCommit {
            sha: doc.str(first, "sha")?.to_string(),
            message: doc.str(first, "commit.message")?.to_string(),
            author: opt_str(first, "commit.author.name")
                .or_else(|| opt_str(first, "author.login"))
                .unwrap_or_default()
                .to_string(),
            at,
            url: opt_str(first, "html_url").unwrap_or_default().to_string(),
        })
    }

    async fn workflow_runs_of(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        limit: usize,
    ) -> Result<Vec<WorkflowRun>, ClientError> {
        let want = limit.clamp(1, PAGE_LIMIT);
        let limit_s = want.to_string();
        let url = self.url(
            &["repos", owner, repo, "actions", "runs"],
            &[("branch", branch), ("limit", &limit_s), ("page", "1")],
        )?;
        match self.api.get_json(&url, &self.auth).await {
            Ok((body, _)) => {
                let doc = Doc::new(url.as_str());
                let runs = doc.array(&body, "workflow_runs")?;
                let mut out = Vec::new();
                for (i, run) in runs.iter().enumerate() {
                    let run = parse_run(&doc.at(&format!("workflow_runs[{i}].")), run)?;
                    // Older 1.24 builds ignore `branch`: filter here too.
                    if run.branch.as_deref().is_none_or(|b| b == branch) {
                        out.push(run);
                    }
                }
                out.truncate(want);
                Ok(out)
            }
            Err(ClientError::Http { status: 404, .. }) => {
                self.tasks_of(owner, repo, branch, want).await
            }
            Err(e) => Err(e),
        }
    }

    /// Gitea 1.22–1.23: `actions/tasks` (one entry per job), filtered by branch.
    async fn tasks_of(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        want: usize,
    ) -> Result<Vec<WorkflowRun>, ClientError> {
        let limit_s = PAGE_LIMIT.to_string();
        let url = self.url(
            &["repos", owner, repo, "actions", "tasks"],
            &[("limit", &limit_s), ("page", "1")],
        )?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str());
        let tasks = doc.array(&body, "workflow_runs")?;
        let mut out = Vec::new();
        for (i, task) in tasks.iter().enumerate() {
            let doc = doc.at(&format!("workflow_runs[{i}]."));
            let on = opt_str(task, "head_branch");
            if on.is_some_and(|b| b != branch && b != format!("refs/heads/{branch}")) {
                continue;
            }
            let (status, conclusion) = task_status(doc.str(task, "status")?);
            let at = match doc.opt_time(task, "run_started_at")? {
                Some(t) => Some(t),
                None => doc.opt_time(task, "created_at")?,
            };
            out.push(WorkflowRun {
                id: doc.i64(task, "id")?,
                name: opt_str(task, "display_title")
                    .filter(|s| !s.is_empty())
                    .or_else(|| opt_str(task, "name"))
                    .unwrap_or_default()
                    .to_string(),
                status,
                conclusion,
                branch: on.map(|b| b.trim_start_matches("refs/heads/").to_string()),
                head_sha: opt_str(task, "head_sha").map(str::to_string),
                url: opt_str(task, "url").unwrap_or_default().to_string(),
                at,
            });
            if out.len() >= want {
                break;
            }
        }
        Ok(out)
    }
}

/// A task's (job's) status as Gitea's `Status.String()` writes it, mapped to the run's
/// `status` and `conclusion` as `ToActionsStatus` does.
fn task_status(raw: &str) -> (String, Option<String>) {
    match raw {
        "success" | "failure" | "cancelled" | "skipped" => {
            ("completed".to_string(), Some(raw.to_string()))
        }
        "running" | "cancelling" => ("in_progress".to_string(), None),
        "waiting" => ("queued".to_string(), None),
        "blocked" => ("pending".to_string(), None),
        other => (other.to_string(), None),
    }
}

fn parse_repository(doc: &Doc<'_>, v: &Value) -> Result<ForgeRepository, ClientError> {
    let name = doc.str(v, "name")?.to_string();
    let owner = opt_str(v, "owner.login")
        .or_else(|| opt_str(v, "owner.username"))
        .or_else(|| {
            opt_str(v, "full_name")
                .and_then(|f| f.split_once('/'))
                .map(|(o, _)| o)
        })
        .unwrap_or_default()
        .to_string();
    Ok(ForgeRepository {
        full_name: opt_str(v, "full_name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{owner}/{name}")),
        owner,
        name,
        html_url: doc.str(v, "html_url")?.to_string(),
        default_branch: doc.str(v, "default_branch")?.to_string(),
        updated_at: doc.opt_time(v, "updated_at")?,
    })
}

fn parse_run(doc: &Doc<'_>, run: &Value) -> Result<WorkflowRun, ClientError> {
    // `path` is `ci.yml@refs/heads/main`: the workflow file names the run best.
    let workflow = opt_str(run, "path")
        .and_then(|s| s.split('@').next())
        .filter(|s| !s.is_empty());
    Ok(WorkflowRun {
        id: doc.i64(run, "id")?,
        name: workflow
            .or_else(|| opt_str(run, "display_title"))
            .or_else(|| opt_str(run, "name"))
            .unwrap_or_default()
            .to_string(),
        status: doc.str(run, "status")?.to_string(),
        conclusion: opt_str(run, "conclusion")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        branch: opt_str(run, "head_branch")
            .filter(|b| !b.is_empty())
            .map(str::to_string),
        head_sha: opt_str(run, "head_sha").map(str::to_string),
        url: opt_str(run, "html_url")
            .or_else(|| opt_str(run, "url"))
            .unwrap_or_default()
            .to_string(),
        at: doc.opt_time(run, "started_at")?,
    })
}

impl GitForge for Gitea {
    fn repositories<'a>(&'a self, owner: &'a str) -> ClientFuture<'a, Vec<ForgeRepository>> {
        Box::pin(self.repositories_of(owner))
    }

    fn repository<'a>(
        &'a self,
        owner: &'a str,
        repo: &'a str,
    ) -> ClientFuture<'a, ForgeRepository> {
        Box::pin(self.repository_of(owner, repo))
    }

    fn latest_commit<'a>(
        &'a self,
        owner: &'a str,
        repo: &'a str,
        branch: &'a str,
    ) -> ClientFuture<'a, ForgeCommit> {
        Box::pin(self.latest_commit_of(owner, repo, branch))
    }

    fn workflow_runs<'a>(
        &'a self,
        owner: &'a str,
        repo: &'a str,
        branch: &'a str,
        limit: usize,
    ) -> ClientFuture<'a, Vec<WorkflowRun>> {
        Box::pin(self.workflow_runs_of(owner, repo, branch, limit))
    }
}
