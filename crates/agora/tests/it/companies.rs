//! A company's members and roles, managed by its admins, and the invitations through which
//! people join.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::page_session;
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

/// Invites `email` and has the account with `token` accept: the way anyone joins a company.
pub async fn join(t: &TestApp, admin: &str, company: &str, email: &str, role: &str, token: &str) {
    let r = add(t, admin, company, email, role).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["invitation"]["id"].as_str().unwrap();
    let r = answer(t, token, id, "accept").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn answer(t: &TestApp, token: &str, invitation: &str, verb: &str) -> Reply {
    t.call(
        Method::POST,
        &format!("/api/v1/invitations/{invitation}/{verb}"),
        Some(token),
        None,
    )
    .await
}

async fn withdraw(t: &TestApp, token: &str, company: &str, invitation: &str) -> Reply {
    t.call(
        Method::DELETE,
        &format!("/api/v1/companies/{company}/invitations/{invitation}"),
        Some(token),
        None,
    )
    .await
}

async fn received(t: &TestApp, token: &str) -> Value {
    let r = t.get("/api/v1/me/invitations", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].clone()
}

/// The company's audit actions, oldest first.
async fn actions(t: &TestApp, company: &str) -> Vec<String> {
    let mut conn = t.app.db.conn().await.unwrap();
    let mut entries = agora_store::audit::for_subject(&mut conn, company, 100).await.unwrap();
    entries.reverse();
    entries.into_iter().map(|e| e.action).collect()
}

db_test!(an_invited_account_joins_only_when_it_accepts, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let bob = t.user("bob@example.com").await;

    let r = add(&t, &admin, &company_id, "Bob@Example.com", "purchaser").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let invitation = &r.body["invitation"];
    let id = invitation["id"].as_str().unwrap().to_owned();
    assert_eq!(
        *invitation,
        json!({"id": id, "email": "bob@example.com", "role": "purchaser", "status": "pending", "invited_at": invitation["invited_at"]})
    );
    assert!(
        t.get("/api/v1/me", Some(&bob)).await.body["company"].is_null(),
        "not joined yet"
    );
    let view = company(&t, &admin, &company_id).await;
    assert_eq!(role_of(&view, "bob@example.com"), None, "not a member yet");
    assert_eq!(view["invitations"][0]["id"], id);
    assert_eq!(view["invitations"][0]["status"], "pending");
    assert!(
        !view.to_string().contains("Test User"),
        "the invitee's name is not shown: {view}"
    );
    let outsider = t.get(&format!("/api/v1/companies/{company_id}"), Some(&bob)).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND, "an invitation is no membership");

    let mine = received(&t, &bob).await;
    assert_eq!(
        mine,
        json!([{"id": id, "company": {"id": company_id, "name": "Acme Ltd"}, "role": "purchaser", "invited_by": "Admin", "invited_at": mine[0]["invited_at"]}])
    );
    let r = answer(&t, &bob, &id, "accept").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["company"]["name"], "Acme Ltd");
    assert_eq!(r.body["role"], "purchaser");

    let me = t.get("/api/v1/me", Some(&bob)).await;
    assert_eq!(
        me.body["company"],
        json!({"id": company_id, "name": "Acme Ltd", "role": "purchaser"})
    );
    let view = company(&t, &bob, &company_id).await;
    assert_eq!(role_of(&view, "bob@example.com").as_deref(), Some("purchaser"));
    assert_eq!(role_of(&view, "anna@acme.test").as_deref(), Some("admin"));
    assert_eq!(view["invitations"], json!([]));
    assert_eq!(received(&t, &bob).await, json!([]));

    let twice = answer(&t, &bob, &id, "accept").await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.problem_type(), "/problems/invalid-transition");
    let again = add(&t, &admin, &company_id, "bob@example.com", "sales").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem_type(), "/problems/already-member");
    assert_eq!(
        role_of(&company(&t, &admin, &company_id).await, "bob@example.com").as_deref(),
        Some("purchaser")
    );
    let log = actions(&t, &company_id).await;
    assert!(
        log.ends_with(&["company.member_invited".into(), "company.invitation_accepted".into()]),
        "{log:?}"
    );
});

db_test!(an_invitation_answers_the_same_whoever_the_email_belongs_to, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rival_admin, _) = t.company_admin("rita@rival.test", "Rival Inc").await;
    let bob = t.user("bob@example.com").await;
    let mut shapes = Vec::new();
    for email in ["bob@example.com", "nobody@example.com", "rita@rival.test"] {
        let r = add(&t, &admin, &company_id, email, "sales").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{email}: {}", r.text);
        let mut body = r.body.clone();
        assert_eq!(body["invitation"]["email"], email);
        for volatile in ["id", "email", "invited_at"] {
            body["invitation"][volatile] = json!("…");
        }
        shapes.push(body);
    }
    assert!(shapes.iter().all(|s| *s == shapes[0]), "{shapes:?}");
    assert_eq!(shapes[0]["invitation"]["status"], "pending");
    assert_eq!(shapes[0]["invitation"]["role"], "sales");

    // Nobody joined anything.
    let view = company(&t, &admin, &company_id).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["invitations"].as_array().unwrap().len(), 3, "{view}");
    assert!(t.get("/api/v1/me", Some(&bob)).await.body["company"].is_null());
    let rita = t.get("/api/v1/me", Some(&rival_admin)).await;
    assert_eq!(rita.body["company"]["name"], "Rival Inc");

    // Inviting again while pending changes the role of the same invitation.
    let first = view["invitations"][0]["id"].clone();
    let r = add(&t, &admin, &company_id, "bob@example.com", "finance").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["invitation"]["id"], first);
    assert_eq!(r.body["invitation"]["role"], "finance");
    assert_eq!(received(&t, &bob).await[0]["role"], "finance");
});

db_test!(
    an_email_that_registers_later_sees_the_invitation_and_is_not_joined,
    |t| {
        let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
        let r = add(&t, &admin, &company_id, "Carol@Example.COM", "finance").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let id = r.body["invitation"]["id"].as_str().unwrap().to_owned();

        let carol = t.user("CAROL@example.com").await;
        let me = t.get("/api/v1/me", Some(&carol)).await;
        assert!(me.body["company"].is_null(), "registration joins nothing: {}", me.text);
        let before = company(&t, &admin, &company_id).await;
        assert_eq!(role_of(&before, "carol@example.com"), None);
        assert_eq!(before["invitations"][0]["email"], "carol@example.com");
        let mine = received(&t, &carol).await;
        assert_eq!(mine[0]["id"], id, "matched by the account's email, whatever its case");
        assert_eq!(mine[0]["role"], "finance");

        let r = answer(&t, &carol, &id, "accept").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let after = company(&t, &carol, &company_id).await;
        assert_eq!(role_of(&after, "carol@example.com").as_deref(), Some("finance"));
        assert_eq!(after["invitations"], json!([]), "the invitation is used up");
    }
);

db_test!(
    only_the_invited_account_answers_and_a_closed_invitation_stays_closed,
    |t| {
        let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
        let bob = t.user("bob@example.com").await;
        let otto = t.user("otto@example.com").await;
        let r = add(&t, &admin, &company_id, "bob@example.com", "sales").await;
        let id = r.body["invitation"]["id"].as_str().unwrap().to_owned();

        for (who, token) in [("otto", &otto), ("the admin", &admin)] {
            for verb in ["accept", "decline"] {
                let r = answer(&t, token, &id, verb).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {verb}: {}", r.text);
                assert!(!r.text.contains("Acme"), "{}", r.text);
            }
        }
        assert_eq!(received(&t, &otto).await, json!([]));
        let absent = answer(&t, &bob, "inv_nonexistent", "accept").await;
        assert_eq!(absent.status, StatusCode::NOT_FOUND);
        let anonymous = t
            .call(Method::POST, &format!("/api/v1/invitations/{id}/accept"), None, None)
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

        let r = answer(&t, &bob, &id, "decline").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let late = answer(&t, &bob, &id, "accept").await;
        assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
        assert!(late.text.contains("declined"), "{}", late.text);
        assert!(t.get("/api/v1/me", Some(&bob)).await.body["company"].is_null());
        assert_eq!(received(&t, &bob).await, json!([]));
        assert_eq!(company(&t, &admin, &company_id).await["invitations"], json!([]));

        // A withdrawn invitation can no longer be accepted, even by an account made afterwards.
        let r = add(&t, &admin, &company_id, "dave@example.com", "admin").await;
        let dave_invitation = r.body["invitation"]["id"].as_str().unwrap().to_owned();
        let r = withdraw(&t, &admin, &company_id, &dave_invitation).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let dave = t.user("dave@example.com").await;
        assert_eq!(received(&t, &dave).await, json!([]));
        let r = answer(&t, &dave, &dave_invitation, "accept").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(t.get("/api/v1/me", Some(&dave)).await.body["company"].is_null());
        let again = withdraw(&t, &admin, &company_id, &dave_invitation).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        let unknown = withdraw(&t, &admin, &company_id, "inv_nonexistent").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);

        let log = actions(&t, &company_id).await;
        for action in [
            "company.member_invited",
            "company.invitation_declined",
            "company.invitation_withdrawn",
        ] {
            assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
        }
        assert!(!log.iter().any(|a| a == "company.invitation_accepted"), "{log:?}");
    }
);

db_test!(only_the_company_admins_withdraw_an_invitation, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rival_admin, rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
    let bob = t.user("bob@example.com").await;
    join(&t, &admin, &company_id, "bob@example.com", "sales", &bob).await;
    let r = add(&t, &admin, &company_id, "carol@example.com", "sales").await;
    let id = r.body["invitation"]["id"].as_str().unwrap().to_owned();

    let by_member = withdraw(&t, &bob, &company_id, &id).await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.text);
    let by_rival = withdraw(&t, &rival_admin, &company_id, &id).await;
    assert_eq!(by_rival.status, StatusCode::NOT_FOUND, "{}", by_rival.text);
    let through_own_company = withdraw(&t, &rival_admin, &rival, &id).await;
    assert_eq!(
        through_own_company.status,
        StatusCode::NOT_FOUND,
        "{}",
        through_own_company.text
    );
    assert_eq!(company(&t, &admin, &company_id).await["invitations"][0]["id"], id);
});

db_test!(
    accepting_while_in_another_company_is_refused_and_the_invitation_waits,
    |t| {
        let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
        let (rita, rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
        let r = add(&t, &admin, &company_id, "rita@rival.test", "sales").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let id = r.body["invitation"]["id"].as_str().unwrap().to_owned();

        let r = answer(&t, &rita, &id, "accept").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/in-another-company");
        assert!(r.text.contains("already belong to a company"), "{}", r.text);
        let me = t.get("/api/v1/me", Some(&rita)).await;
        assert_eq!(me.body["company"]["id"], rival);
        assert_eq!(me.body["company"]["role"], "admin");
        let view = company(&t, &admin, &company_id).await;
        assert_eq!(role_of(&view, "rita@rival.test"), None);
        assert_eq!(view["invitations"][0]["status"], "pending", "{view}");
        assert_eq!(received(&t, &rita).await[0]["id"], id);
    }
);

db_test!(only_admins_add_members_and_outsiders_learn_nothing, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rival_admin, _rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
    let bob = t.user("bob@example.com").await;
    let outsider = t.user("otto@example.com").await;
    join(&t, &admin, &company_id, "bob@example.com", "sales", &bob).await;

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

    // Nothing of the refused requests stuck.
    let view = company(&t, &admin, &company_id).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(view["invitations"], json!([]), "{view}");
    assert!(t.get("/api/v1/me", Some(&outsider)).await.body["company"].is_null());
});

db_test!(roles_change_members_leave_and_the_last_admin_stays, |t| {
    let (admin, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let admin_id = t.account_id(&admin).await;
    let bob = t.user("bob@example.com").await;
    let bob_id = t.account_id(&bob).await;
    join(&t, &admin, &company_id, "bob@example.com", "purchaser", &bob).await;

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
    let stranger_id = t.account_id(&stranger).await;
    let not_member = set_role(&t, &admin, &company_id, &stranger_id, "sales").await;
    assert_eq!(not_member.status, StatusCode::NOT_FOUND, "{}", not_member.text);
    let not_member = remove(&t, &admin, &company_id, &stranger_id).await;
    assert_eq!(not_member.status, StatusCode::NOT_FOUND, "{}", not_member.text);

    // The only admin can neither step down nor leave.
    let demote = set_role(&t, &admin, &company_id, &admin_id, "finance").await;
    assert_eq!(demote.status, StatusCode::CONFLICT, "{}", demote.text);
    assert_eq!(demote.problem_type(), "/problems/last-admin");
    let leave = remove(&t, &admin, &company_id, &admin_id).await;
    assert_eq!(leave.status, StatusCode::CONFLICT, "{}", leave.text);
    assert_eq!(leave.problem_type(), "/problems/last-admin");
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
    let admin_id = t.account_id(&admin).await;
    let bob = t.user("bob@example.com").await;
    join(&t, &admin, &company_id, "bob@example.com", "admin", &bob).await;

    let r = set_role(&t, &admin, &company_id, &admin_id, "purchaser").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", Some(&admin)).await.body["company"]["role"],
        "purchaser"
    );
    // Now bob is the last admin, and anna may no longer manage members.
    let r = add(&t, &admin, &company_id, "carol@example.com", "sales").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let bob_id = t.account_id(&bob).await;
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
    let anna_id = t.account_id(&anna).await;
    let bob = t.user("bob@example.com").await;
    let bob_id = t.account_id(&bob).await;
    join(&t, &anna, &company_id, "bob@example.com", "admin", &bob).await;

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

async fn one_account_accepting_two_invitations_at_once_joins_one_company_on(t: TestApp) {
    let (anna, acme) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let (rita, rival) = t.company_admin("rita@rival.test", "Rival Inc").await;
    for round in 0..5 {
        let email = format!("bob{round}@example.com");
        let bob = t.user(&email).await;
        let a = add(&t, &anna, &acme, &email, "sales").await;
        let r = add(&t, &rita, &rival, &email, "sales").await;
        let (a_id, r_id) = (
            a.body["invitation"]["id"].as_str().unwrap(),
            r.body["invitation"]["id"].as_str().unwrap(),
        );
        // Two companies' invitations, and the same one twice.
        let (a, r, again) = tokio::join!(
            answer(&t, &bob, a_id, "accept"),
            answer(&t, &bob, r_id, "accept"),
            answer(&t, &bob, a_id, "accept"),
        );
        let mut statuses = [a.status, r.status, again.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT, StatusCode::CONFLICT],
            "round {round}: acme: {}, rival: {}, acme again: {}",
            a.text,
            r.text,
            again.text
        );
        let me = t.get("/api/v1/me", Some(&bob)).await;
        let joined = if r.status == StatusCode::OK {
            "Rival Inc"
        } else {
            "Acme Ltd"
        };
        assert_eq!(me.body["company"]["name"], joined);
        let members = |view: Value| {
            view["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["email"] == email.as_str())
                .count()
        };
        let total = members(company(&t, &anna, &acme).await) + members(company(&t, &rita, &rival).await);
        assert_eq!(total, 1, "round {round}: one membership");
    }
}

mod one_account_accepting_two_invitations_at_once_joins_one_company {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        one_account_accepting_two_invitations_at_once_joins_one_company_on(TestApp::spawn(Engine::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        one_account_accepting_two_invitations_at_once_joins_one_company_on(TestApp::spawn(Engine::Postgres).await)
            .await;
    }
}

fn location(r: &Reply) -> String {
    r.headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

db_test!(
    the_pages_send_invitations_alike_and_the_invitee_answers_on_the_account_page,
    |t| {
        let (anna, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
        let (_rita, _) = t.company_admin("rita@rival.test", "Rival Inc").await;
        let bob = t.user("bob@example.com").await;
        for email in ["bob@example.com", "nobody@example.com", "rita@rival.test"] {
            let r = page_session::post(
                &t,
                "/account/company/members",
                &anna,
                &[("email", email), ("role", "sales")],
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{email}: {}", r.text);
            assert_eq!(location(&r), "/account/company?done=invited", "{email}");
        }
        let page = page_session::get(&t, "/account/company?done=invited", &anna).await;
        assert!(page.text.contains("Invitation sent."), "{}", page.text);
        assert!(page.text.contains("nobody@example.com"));
        assert!(page.text.contains("Withdraw"));
        let forged = t
            .client
            .post(t.url("/account/company/members"))
            .header("cookie", format!("agora_session={anna}"))
            .form(&[("email", "eve@example.com"), ("role", "admin")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token, no invitation");

        let view = company(&t, &anna, &company_id).await;
        let id_of = |email: &str| {
            view["invitations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["email"] == email)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let r = page_session::post(
            &t,
            &format!("/account/company/invitations/{}/withdraw", id_of("nobody@example.com")),
            &anna,
            &[],
        )
        .await;
        assert_eq!(location(&r), "/account/company?done=withdrawn", "{}", r.text);

        let account = page_session::get(&t, "/account", &bob).await;
        let bob_invitation = id_of("bob@example.com");
        assert!(account.text.contains("Acme Ltd"), "{}", account.text);
        assert!(account
            .text
            .contains(&format!("/account/invitations/{bob_invitation}/accept")));
        assert!(account
            .text
            .contains(&format!("/account/invitations/{bob_invitation}/decline")));
        let stranger = t.user("otto@example.com").await;
        let r = page_session::post(
            &t,
            &format!("/account/invitations/{bob_invitation}/accept"),
            &stranger,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = page_session::post(&t, &format!("/account/invitations/{bob_invitation}/accept"), &bob, &[]).await;
        assert_eq!(location(&r), "/account/company?done=joined", "{}", r.text);
        assert_eq!(t.get("/api/v1/me", Some(&bob)).await.body["company"]["role"], "sales");

        // Rita already runs a company: the page says why, and nothing changes.
        let rita = t.login("rita@rival.test").await;
        let r = page_session::post(
            &t,
            &format!("/account/invitations/{}/accept", id_of("rita@rival.test")),
            &rita,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("already belong to a company"), "{}", r.text);
        let r = page_session::post(
            &t,
            &format!("/account/invitations/{}/decline", id_of("rita@rival.test")),
            &rita,
            &[],
        )
        .await;
        assert_eq!(location(&r), "/account?done=declined", "{}", r.text);
        assert_eq!(company(&t, &anna, &company_id).await["invitations"], json!([]));
    }
);
