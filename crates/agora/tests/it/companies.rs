//! A company's members and roles, managed by its admins.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, Engine, Reply, TestApp};

async fn add(t: &TestApp, token: &str, company: &str, email: &str, role: &str) -> Reply {
    t.post(
        &format!("/api/v1/companies/{company}/members"),
        Some(token),
        json!({"email": email, "role": role}),
    )
    .await
}

async fn set_role(t: &TestApp, token: &str, company: &str, account: &str, role: &str) -> Reply {
    t.call(
        Method::PATCH,
        &format!("/api/v1/companies/{company}/members/{account}"),
        Some(token),
        Some(json!({"role": role})),
    )
    .await
}

async fn remove(t: &TestApp, token: &str, company: &str, account: &str) -> Reply {
    t.call(
        Method::DELETE,
        &format!("/api/v1/companies/{company}/members/{account}"),
        Some(token),
        None,
    )
    .await
}

async fn account_id(t: &TestApp, token: &str) -> String {
    t.get("/api/v1/me", Some(token)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn company(t: &TestApp, token: &str, company: &str) -> Value {
    let r = t.get(&format!("/api/v1/companies/{company}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// The role of `email` among the company's members, if a member.
fn role_of(view: &Value, email: &str) -> Option<String> {
    view["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["role"].as_str().unwrap().to_owned())
}

db_test!(an_admin_adds_an_existing_account_which_then_sees_the_company, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let bob = t.user("bob@example.com").await;
    assert!(t.get("/api/v1/me", Some(&bob)).await.body["company"].is_null());

    let r = add(&t, &admin, &company_id, "Bob@Example.com", "purchaser").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["role"], "purchaser");
    assert_eq!(r.body["email"], "bob@example.com");

    let me = t.get("/api/v1/me", Some(&bob)).await;
    assert_eq!(
        me.body["company"],
        json!({"id": company_id, "name": "Acme Ltd", "role": "purchaser"})
    );
    let view = company(&t, &bob, &company_id).await;
    assert_eq!(view["name"], "Acme Ltd");
    assert_eq!(role_of(&view, "bob@example.com").as_deref(), Some("purchaser"));
    assert_eq!(role_of(&view, "anna@acme.test").as_deref(), Some("admin"));
    assert_eq!(view["invitations"], json!([]));

    let again = add(&t, &admin, &company_id, "bob@example.com", "sales").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem_type(), "/problems/conflict");
    assert_eq!(
        role_of(&company(&t, &admin, &company_id).await, "bob@example.com").as_deref(),
        Some("purchaser")
    );
});

db_test!(an_invited_email_joins_the_company_with_its_role_on_registration, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let r = add(&t, &admin, &company_id, "carol@example.com", "finance").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "invited");
    assert_eq!(r.body["role"], "finance");

    let before = company(&t, &admin, &company_id).await;
    assert_eq!(before["invitations"][0]["email"], "carol@example.com");
    assert_eq!(before["invitations"][0]["role"], "finance");
    assert_eq!(role_of(&before, "carol@example.com"), None);

    let carol = t.user("carol@example.com").await;
    let me = t.get("/api/v1/me", Some(&carol)).await;
    assert_eq!(
        me.body["company"],
        json!({"id": company_id, "name": "Acme Ltd", "role": "finance"})
    );
    let after = company(&t, &carol, &company_id).await;
    assert_eq!(role_of(&after, "carol@example.com").as_deref(), Some("finance"));
    assert_eq!(after["invitations"], json!([]), "the invitation is used up");
});

db_test!(only_admins_add_members_and_outsiders_learn_nothing, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rival_admin, _rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
    let bob = t.user("bob@example.com").await;
    let outsider = t.user("otto@example.com").await;
    let r = add(&t, &admin, &company_id, "bob@example.com", "sales").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let by_member = add(&t, &bob, &company_id, "dave@example.com", "admin").await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.text);
    assert_eq!(by_member.problem_type(), "/problems/forbidden");

    let seen = t.get(&format!("/api/v1/companies/{company_id}"), Some(&outsider)).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND, "{}", seen.text);
    assert!(!seen.text.contains("Acme"));
    let by_outsider = add(&t, &outsider, &company_id, "otto@example.com", "admin").await;
    assert_eq!(by_outsider.status, StatusCode::NOT_FOUND, "{}", by_outsider.text);
    let by_rival = add(&t, &rival_admin, &company_id, "dave@example.com", "admin").await;
    assert_eq!(by_rival.status, StatusCode::NOT_FOUND, "{}", by_rival.text);
    let absent = t.get("/api/v1/companies/com_nonexistent", Some(&outsider)).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    let anonymous = t.get(&format!("/api/v1/companies/{company_id}"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let bad_role = add(&t, &admin, &company_id, "dave@example.com", "owner").await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_role.text);
    assert_eq!(bad_role.body["errors"][0]["field"], "role");
    let bad_email = add(&t, &admin, &company_id, "not an email", "sales").await;
    assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_email.body["errors"][0]["field"], "email");

    let taken = add(&t, &admin, &company_id, "rita@rival.test", "sales").await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
    assert_eq!(taken.problem_type(), "/problems/conflict");
    let rita = t.get("/api/v1/me", Some(&rival_admin)).await;
    assert_eq!(rita.body["company"]["name"], "Rival Inc");
    assert_eq!(rita.body["company"]["role"], "admin");

    // Nothing of the refused requests stuck.
    let view = company(&t, &admin, &company_id).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(view["invitations"], json!([]), "{view}");
    assert!(t.get("/api/v1/me", Some(&outsider)).await.body["company"].is_null());
});

db_test!(roles_change_members_leave_and_the_last_admin_stays, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let admin_id = account_id(&t, &admin).await;
    let bob = t.user("bob@example.com").await;
    let bob_id = account_id(&t, &bob).await;
    let r = add(&t, &admin, &company_id, "bob@example.com", "purchaser").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = set_role(&t, &admin, &company_id, &bob_id, "finance").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get("/api/v1/me", Some(&bob)).await.body["company"]["role"], "finance");
    assert_eq!(
        role_of(&company(&t, &admin, &company_id).await, "bob@example.com").as_deref(),
        Some("finance")
    );

    let bad = set_role(&t, &admin, &company_id, &bob_id, "boss").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "role");
    let by_member = set_role(&t, &bob, &company_id, &bob_id, "admin").await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.text);
    let by_member = remove(&t, &bob, &company_id, &admin_id).await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.text);
    let stranger = t.user("otto@example.com").await;
    let stranger_id = account_id(&t, &stranger).await;
    let not_member = set_role(&t, &admin, &company_id, &stranger_id, "sales").await;
    assert_eq!(not_member.status, StatusCode::NOT_FOUND, "{}", not_member.text);
    let not_member = remove(&t, &admin, &company_id, &stranger_id).await;
    assert_eq!(not_member.status, StatusCode::NOT_FOUND, "{}", not_member.text);

    // The only admin can neither step down nor leave.
    let demote = set_role(&t, &admin, &company_id, &admin_id, "finance").await;
    assert_eq!(demote.status, StatusCode::CONFLICT, "{}", demote.text);
    assert_eq!(demote.problem_type(), "/problems/conflict");
    let leave = remove(&t, &admin, &company_id, &admin_id).await;
    assert_eq!(leave.status, StatusCode::CONFLICT, "{}", leave.text);
    let me = t.get("/api/v1/me", Some(&admin)).await;
    assert_eq!(me.body["company"]["role"], "admin");

    let r = remove(&t, &admin, &company_id, &bob_id).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(t.get("/api/v1/me", Some(&bob)).await.body["company"].is_null());
    let gone = t.get(&format!("/api/v1/companies/{company_id}"), Some(&bob)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
    assert_eq!(
        role_of(&company(&t, &admin, &company_id).await, "bob@example.com"),
        None
    );
});

db_test!(with_a_second_admin_the_first_may_step_down, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let admin_id = account_id(&t, &admin).await;
    let bob = t.user("bob@example.com").await;
    let r = add(&t, &admin, &company_id, "bob@example.com", "admin").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = set_role(&t, &admin, &company_id, &admin_id, "purchaser").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", Some(&admin)).await.body["company"]["role"],
        "purchaser"
    );
    // Now bob is the last admin, and anna may no longer manage members.
    let r = add(&t, &admin, &company_id, "carol@example.com", "sales").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let bob_id = account_id(&t, &bob).await;
    let r = remove(&t, &bob, &company_id, &bob_id).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
});

fn admins(view: &Value) -> usize {
    view["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "admin")
        .count()
}

async fn two_admins_stepping_down_at_once_leave_one_admin_on(t: TestApp) {
    let (anna, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let anna_id = account_id(&t, &anna).await;
    let bob = t.user("bob@example.com").await;
    let bob_id = account_id(&t, &bob).await;
    let r = add(&t, &anna, &company_id, "bob@example.com", "admin").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    for round in 0..5 {
        let (a, b) = tokio::join!(
            set_role(&t, &anna, &company_id, &anna_id, "finance"),
            set_role(&t, &bob, &company_id, &bob_id, "finance"),
        );
        let view = company(&t, &anna, &company_id).await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::NO_CONTENT, StatusCode::CONFLICT],
            "round {round}: exactly one may step down; anna: {}, bob: {}, now {view}",
            a.text,
            b.text
        );
        assert_eq!(admins(&view), 1, "round {round}: {view}");
        // Make both admins again for the next round.
        let (winner_token, loser_id) = if a.status == StatusCode::CONFLICT {
            (&anna, &bob_id)
        } else {
            (&bob, &anna_id)
        };
        let r = set_role(&t, winner_token, &company_id, loser_id, "admin").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
}

mod two_admins_stepping_down_at_once_leave_one_admin {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        two_admins_stepping_down_at_once_leave_one_admin_on(TestApp::spawn(Engine::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        two_admins_stepping_down_at_once_leave_one_admin_on(TestApp::spawn(Engine::Postgres).await).await;
    }
}

async fn one_account_added_to_two_companies_at_once_joins_one_on(t: TestApp) {
    let (anna, acme) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rita, rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
    for round in 0..5 {
        let email = format!("bob{round}@example.com");
        let bob = t.user(&email).await;
        let (a, r) = tokio::join!(
            add(&t, &anna, &acme, &email, "sales"),
            add(&t, &rita, &rival, &email, "sales"),
        );
        let mut statuses = [a.status, r.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}: acme: {}, rival: {}",
            a.text,
            r.text
        );
        let me = t.get("/api/v1/me", Some(&bob)).await;
        let joined = if a.status == StatusCode::CREATED {
            "Acme Ltd"
        } else {
            "Rival Inc"
        };
        assert_eq!(me.body["company"]["name"], joined);
    }
}

mod one_account_added_to_two_companies_at_once_joins_one {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        one_account_added_to_two_companies_at_once_joins_one_on(TestApp::spawn(Engine::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        one_account_added_to_two_companies_at_once_joins_one_on(TestApp::spawn(Engine::Postgres).await).await;
    }
}
