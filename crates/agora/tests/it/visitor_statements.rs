//! What a logged-in visitor costs: at most one SQL statement more than an anonymous visitor on the
//! same page (the session check, which reads the token, the account, its company role and its
//! default address at once), counted through the driver's statement log as in [`crate::statements`].
//!
//! The anonymous figure is the page's own work: it is counted on a server of its own whose
//! whole-response cache has never seen the address (each router has its own), so the handler
//! runs; the in-process caches (product pages, categories) are warmed for both visitors first.
//! The visitor is the demo's company buyer, with a default address and her company's own price on
//! a product that other shops also offer, so every per-visitor read the pages used to make is due.

use std::net::SocketAddr;

use agora_app::accounts::{self, Channel};
use agora_app::App;
use agora_core::address::AddressInput;
use rand::Rng;
use sqlx::Row;

use crate::statements::{demo_app, install, report, runtime, statements_of};
use crate::support::Engine;

/// Serves `app` on 127.0.0.1 from this thread's runtime, with a whole-response cache of its own.
async fn serve(app: &App) -> String {
    let router = agora_http::router(app.clone(), agora_http::HttpSettings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

/// How a request says who sends it.
#[derive(Clone, Copy)]
enum Visitor<'a> {
    Anonymous,
    Cookie(&'a str),
    Bearer(&'a str),
}

async fn fetch(client: &reqwest::Client, url: &str, visitor: Visitor<'_>) -> (u16, String) {
    let req = client.get(url);
    let req = match visitor {
        Visitor::Anonymous => req,
        Visitor::Cookie(token) => req.header("cookie", format!("agora_session={token}")),
        Visitor::Bearer(token) => req.bearer_auth(token),
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The statements one request runs (the counting leaves out what belongs to no request: SQLite's
/// checkpoints, a new connection's set-up).
async fn count(app: &App, client: &reqwest::Client, url: &str, visitor: Visitor<'_>) -> (Vec<String>, String) {
    let marker = format!("SELECT 'visitor count {}'", rand::thread_rng().gen::<u32>());
    let mut body = String::new();
    let statements = statements_of(app, &marker, async {
        let (status, text) = fetch(client, url, visitor).await;
        assert_eq!(status, 200, "{url}: {text}");
        body = text;
    })
    .await;
    (statements, body)
}

/// A product with a GTIN that another shop offers too, its first such variant and its shop.
async fn compared_product(app: &App) -> (String, String) {
    let mut conn = app.db.conn().await.unwrap();
    let row = sqlx::query(
        "SELECT v.product_id, v.id FROM variants v
         WHERE v.gtin IN (SELECT gtin FROM variants WHERE gtin IS NOT NULL GROUP BY gtin HAVING COUNT(DISTINCT shop_id) > 1)
         ORDER BY v.product_id, v.id LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("the demo offers one item from two shops");
    (row.get(0), row.get(1))
}

struct Figures {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Figures {
    fn compare(&mut self, page: &str, engine: &str, anonymous: &[String], visitor: &[String]) {
        self.lines.push(format!(
            "{page}: anonymous {} statements, logged in {}",
            anonymous.len(),
            visitor.len()
        ));
        if visitor.len() > anonymous.len() + 1 {
            self.failures.push(format!(
                "{page} costs a logged-in visitor more than one extra statement\n{}{}",
                report(&format!("{engine}, anonymous"), anonymous),
                report(&format!("{engine}, logged in"), visitor)
            ));
        }
    }
}

async fn count_pages(engine: Engine) -> Figures {
    install();
    let name = match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    let (app, _dir, schema) = demo_app(engine).await;
    agora_app::search::rebuild(&app).await.unwrap();

    // Anna buys for Acme: a company member with a default address and a price of her company's own.
    let login = accounts::login(
        &app,
        "anna@acme.example",
        agora_app::demo::PASSWORD,
        "counted",
        Channel::Web,
    )
    .await
    .unwrap();
    let token = login.token;
    let anna = accounts::authenticate(&app, &token).await.unwrap().unwrap();
    let (company_id, _) = anna.company.clone().expect("Anna belongs to Acme");
    let address = AddressInput {
        name: "Anna Acme",
        line1: "1 rue de la Paix",
        city: "Paris",
        postal_code: "75002",
        country: "FR",
        ..Default::default()
    };
    agora_app::addresses::create(&app, &anna, address, true).await.unwrap();
    let (product, variant) = compared_product(&app).await;
    let mut tx = app.db.begin().await.unwrap();
    agora_store::catalog::set_company_price(&mut tx, &variant, &company_id, 123_457)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.products.invalidate(&product);
    let shop_slug: String = {
        let mut conn = app.db.conn().await.unwrap();
        sqlx::query("SELECT s.slug FROM shops s JOIN products p ON p.shop_id = s.id WHERE p.id = $1")
            .bind(&product)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0)
    };

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pages = [
        "/".to_owned(),
        "/search?q=coffee".to_owned(),
        format!("/p/{product}"),
        format!("/s/{shop_slug}"),
    ];
    let api = format!("/api/v1/products/{product}");

    // Warm the in-process caches the way both visitors use them.
    let warm = serve(&app).await;
    for page in &pages {
        fetch(&client, &format!("{warm}{page}"), Visitor::Anonymous).await;
        fetch(&client, &format!("{warm}{page}"), Visitor::Cookie(&token)).await;
    }
    fetch(&client, &format!("{warm}{api}"), Visitor::Anonymous).await;
    fetch(&client, &format!("{warm}{api}"), Visitor::Bearer(&token)).await;

    // A fresh server: its whole-response cache has seen none of these addresses.
    let base = serve(&app).await;
    let mut figures = Figures {
        lines: vec![format!("{name}:")],
        failures: vec![],
    };
    for page in &pages {
        let url = format!("{base}{page}");
        let (anonymous, public) = count(&app, &client, &url, Visitor::Anonymous).await;
        let (visitor, own) = count(&app, &client, &url, Visitor::Cookie(&token)).await;
        figures.compare(page, name, &anonymous, &visitor);
        if page.starts_with("/p/") {
            // What the session brought is used: her company's price, shipping to her country.
            assert!(own.contains("your company: 1,234.57"), "the company price is shown");
            assert!(!public.contains("your company:"), "nobody else sees it");
        }
    }
    let (anonymous, public) = count(&app, &client, &format!("{base}{api}"), Visitor::Anonymous).await;
    let (visitor, own) = count(&app, &client, &format!("{base}{api}"), Visitor::Bearer(&token)).await;
    figures.compare(&format!("{api} (bearer token)"), name, &anonymous, &visitor);
    assert!(own.contains("123457"), "the API shows the company price: {own}");
    assert!(!public.contains("123457"), "{public}");

    // The account page has no anonymous version (it sends the visitor to log in): its own
    // content, read directly with Anna's account, is what the session may add one statement to.
    let marker = format!("SELECT 'visitor count {}'", rand::thread_rng().gen::<u32>());
    let content = statements_of(&app, &marker, async {
        accounts::me(&app, &anna).await.unwrap();
        accounts::list_tokens(&app, &anna).await.unwrap();
        agora_app::invitations::received(&app, &anna).await.unwrap();
    })
    .await;
    let (visitor, _) = count(&app, &client, &format!("{base}/account"), Visitor::Cookie(&token)).await;
    figures.compare("/account (its content read directly)", name, &content, &visitor);

    // A session whose recorded use has grown stale records it once, then not again.
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query("UPDATE auth_tokens SET last_used_at = last_used_at - 600000 WHERE id = $1")
        .bind(&anna.token_id)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let home = format!("{base}/");
    let (anonymous, _) = count(&app, &client, &home, Visitor::Anonymous).await;
    let (stale, _) = count(&app, &client, &home, Visitor::Cookie(&token)).await;
    let (fresh, _) = count(&app, &client, &home, Visitor::Cookie(&token)).await;
    let touches = |s: &[String]| s.iter().filter(|s| s.contains("UPDATE auth_tokens")).count();
    assert_eq!(
        (stale.len(), touches(&stale)),
        (anonymous.len() + 2, 1),
        "{}",
        report(name, &stale)
    );
    assert_eq!(
        (fresh.len(), touches(&fresh)),
        (anonymous.len() + 1, 0),
        "{}",
        report(name, &fresh)
    );
    figures.lines.push(format!(
        "/ after ten idle minutes: {} statements (the use recorded), then {}",
        stale.len(),
        fresh.len()
    ));

    if let Some(schema) = schema {
        let mut conn = app.db.conn().await.unwrap();
        agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .ok();
    }
    figures
}

fn check(figures: Figures) {
    println!("{}", figures.lines.join("\n"));
    assert!(figures.failures.is_empty(), "{}", figures.failures.join("\n"));
}

mod a_logged_in_visitor_costs_at_most_one_statement_more {
    use super::*;

    #[test]
    fn sqlite() {
        check(runtime().block_on(count_pages(Engine::Sqlite)));
    }

    #[test]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    fn postgres() {
        check(runtime().block_on(count_pages(Engine::Postgres)));
    }
}
