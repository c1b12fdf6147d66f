//! The test harness: a real server on 127.0.0.1:0 over a fresh database (a temporary SQLite file,
//! or a fresh schema in the PostgreSQL of `AGORA_TEST_POSTGRES_URL`), and a small HTTP client.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use agora_app::{App, Settings};
use agora_store::Db;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs a test body once on SQLite and once on PostgreSQL.
macro_rules! db_test {
    ($name:ident, |$t:ident| $body:block) => {
        $crate::support::db_test!($name, settings = agora_app::Settings::default(), |$t| $body);
    };
    ($name:ident, settings = $settings:expr, |$t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                #[allow(unused_variables)]
                let $t = $crate::support::TestApp::spawn_with($crate::support::Engine::Sqlite, $settings).await;
                let ledger = $t.app.clone();
                $body
                $crate::support::assert_ledger_balanced(&ledger).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
            async fn postgres() {
                #[allow(unused_variables)]
                let $t = $crate::support::TestApp::spawn_with($crate::support::Engine::Postgres, $settings).await;
                let ledger = $t.app.clone();
                $body
                $crate::support::assert_ledger_balanced(&ledger).await;
            }
        }
    };
}
pub(crate) use db_test;

/// Runs after every `db_test!`: the ledger must verify (`agora ledger verify`'s checks) whatever
/// the test did.
pub async fn assert_ledger_balanced(app: &App) {
    let v = agora_app::ledger::verify(app).await.expect("the ledger check runs");
    assert!(
        v.balanced,
        "the ledger does not verify after the test: {:#?}",
        v.problems
    );
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    pub database_url: String,
    pub schema: Option<String>,
    /// Kept alive (and removed at the end) with the test.
    pub _dir: tempfile::TempDir,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The problem's `type`, for error responses.
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or("")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with(engine, Settings::default()).await
    }

    pub async fn spawn_with(engine: Engine, settings: Settings) -> TestApp {
        Self::spawn_with_http(engine, settings, agora_http::HttpSettings::default()).await
    }

    pub async fn spawn_with_http(engine: Engine, settings: Settings, http: agora_http::HttpSettings) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (database_url, schema) = match engine {
            Engine::Sqlite => (format!("sqlite://{}", dir.path().join("agora.db").display()), None),
            Engine::Postgres => {
                let url = std::env::var("AGORA_TEST_POSTGRES_URL")
                    .expect("AGORA_TEST_POSTGRES_URL is set for PostgreSQL tests");
                let schema = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
                (url, Some(schema))
            }
        };
        let db = Db::connect(&database_url, schema.as_deref())
            .await
            .expect("the test database connects");
        db.migrate().await.expect("migrations apply");
        let search = agora_search::SearchIndex::open(None).expect("an in-memory search index");
        let app = App::new(db, dir.path().join("blobs"), settings, search);
        tokio::spawn(agora_app::follower::run(app.clone()));
        let router = agora_http::router(app.clone(), http);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .unwrap();
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base: format!("http://{addr}"),
            app,
            client,
            database_url,
            schema,
            _dir: dir,
        }
    }

    /// A client whose requests come from another loopback address (127.0.0.`n`), as a visitor
    /// elsewhere would.
    #[allow(dead_code)]
    pub fn client_from(&self, n: u8) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from([127, 0, 0, n]))
            .build()
            .unwrap()
    }

    /// The database URL for another process working on this test's database (on PostgreSQL, the
    /// test's own schema through the connection's search_path).
    pub fn process_database_url(&self) -> String {
        match &self.schema {
            None => self.database_url.clone(),
            Some(schema) => {
                let sep = if self.database_url.contains('?') { '&' } else { '?' };
                format!("{}{sep}options=-c%20search_path%3D{schema}", self.database_url)
            }
        }
    }

    /// The `agora` command on this test's database, with `data_dir` as its data folder.
    pub fn agora(&self, data_dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
        cmd.env_remove("AGORA_BLOB_STORE")
            .env("AGORA_LOG", "error")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--database-url")
            .arg(self.process_database_url());
        cmd
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        read(req.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Registers an individual account and returns its bearer token.
    pub async fn user(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Test User", "kind": "individual"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        self.login(email).await
    }

    /// Registers an enterprise account (company admin) and returns `(token, company id)`.
    pub async fn company_admin(&self, email: &str, company: &str) -> (String, String) {
        let r = self
            .post("/api/v1/auth/register", None, json!({"email": email, "password": PASSWORD, "name": "Admin", "kind": "enterprise", "company_name": company}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let company_id = r.body["company"]["id"].as_str().expect("a company").to_owned();
        (self.login(email).await, company_id)
    }

    pub async fn login(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Creates an operator the way the command line does and returns its token.
    pub async fn operator(&self) -> String {
        agora_app::accounts::create_operator(&self.app, "operator@agora.test", PASSWORD, "Operator")
            .await
            .unwrap();
        self.login("operator@agora.test").await
    }

    /// Creates a category as the operator.
    pub async fn category(&self, operator: &str, slug: &str, restricted: bool) {
        let r = self
            .post(
                "/api/v1/admin/categories",
                Some(operator),
                json!({"slug": slug, "name": slug, "restricted": restricted}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    /// Applies for a shop and returns its id.
    pub async fn shop(&self, token: &str, name: &str, categories: &[&str]) -> String {
        let r = self
            .post(
                "/api/v1/shops",
                Some(token),
                json!({"name": name, "legal_name": format!("{name} Ltd"), "categories": categories}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Has the operator approve a shop's application.
    pub async fn approve_shop(&self, operator: &str, shop: &str) {
        let r = self
            .post(
                &format!("/api/v1/admin/shops/{shop}/approve"),
                Some(operator),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    /// Applies, as a member of a company, for a shop of that company (`for_company`) listing in
    /// `audio`, and returns its id; the operator has not decided yet.
    pub async fn company_shop(&self, applicant: &str, name: &str, legal_name: &str) -> String {
        let r = self
            .post(
                "/api/v1/shops",
                Some(applicant),
                json!({"name": name, "legal_name": legal_name, "categories": ["audio"], "for_company": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// A company shop ([`TestApp::company_shop`]) that the operator has approved.
    pub async fn approved_company_shop(&self, operator: &str, applicant: &str, name: &str, legal_name: &str) -> String {
        let shop = self.company_shop(applicant, name, legal_name).await;
        self.approve_shop(operator, &shop).await;
        shop
    }

    /// A company created by `admin_email` (an enterprise account) that `member_email` (an
    /// individual account) has joined as `role`.
    /// The id of the account `token` signs in as.
    pub async fn account_id(&self, token: &str) -> String {
        self.get("/api/v1/me", Some(token)).await.body["id"]
            .as_str()
            .expect("the account's id")
            .to_owned()
    }

    pub async fn company_with_member(
        &self,
        admin_email: &str,
        company_name: &str,
        member_email: &str,
        role: &str,
    ) -> CompanyMember {
        let (admin, company) = self.company_admin(admin_email, company_name).await;
        let member = self.user(member_email).await;
        crate::companies::join(self, &admin, &company, member_email, role, &member).await;
        let member_id = self.account_id(&member).await;
        CompanyMember {
            admin,
            company,
            member,
            member_id,
        }
    }

    /// Uploads a document through the multipart endpoint.
    #[allow(dead_code)]
    pub async fn upload(
        &self,
        token: &str,
        shop_id: &str,
        kind: &str,
        expires_on: Option<&str>,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let mut form = reqwest::multipart::Form::new().text("kind", kind.to_owned()).part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
        );
        if let Some(d) = expires_on {
            form = form.text("expires_on", d.to_owned());
        }
        let req = self
            .client
            .post(self.url(&format!("/api/v1/shops/{shop_id}/qualifications")))
            .bearer_auth(token)
            .multipart(form);
        read(req.send().await.unwrap()).await
    }

    /// Runs SQL directly against the test database (to tamper with it, as an attacker would).
    pub async fn sql(&self, statement: &str) {
        let db = Db::connect(&self.database_url, self.schema.as_deref()).await.unwrap();
        let mut conn = db.conn().await.unwrap();
        agora_store::raw_execute(&mut conn, statement)
            .await
            .expect("the statement runs");
        drop(conn);
        db.close().await;
    }
}

/// A company and one member of its staff ([`TestApp::company_with_member`]).
pub struct CompanyMember {
    /// The company admin's token.
    pub admin: String,
    pub company: String,
    /// The member's token and account id.
    pub member: String,
    pub member_id: String,
}

pub async fn read(res: reqwest::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// A tiny valid-looking PDF.
#[allow(dead_code)]
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}
