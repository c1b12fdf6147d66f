//! Browsing the web pages as a logged-in account: the API's token is also its session cookie, and
//! forms carry a CSRF token that matches the CSRF cookie.

use crate::support::{read, Reply, TestApp};

const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";

fn cookies(token: &str) -> String {
    format!("agora_session={token}; agora_csrf={CSRF}")
}

/// Gets a page as the account with `token`.
pub async fn get(t: &TestApp, path: &str, token: &str) -> Reply {
    let req = t.client.get(t.url(path)).header("cookie", cookies(token));
    read(req.send().await.expect("the server answers")).await
}

/// Submits a page form (with a valid CSRF token) as the account with `token`.
pub async fn post(t: &TestApp, path: &str, token: &str, fields: &[(&str, &str)]) -> Reply {
    let mut form = vec![("csrf", CSRF)];
    form.extend_from_slice(fields);
    let req = t.client.post(t.url(path)).header("cookie", cookies(token)).form(&form);
    read(req.send().await.expect("the server answers")).await
}
