use reqwest::{Method, StatusCode};

use crate::support::db_test;

db_test!(unknown_paths_and_methods_answer_with_problems, |t| {
    let missing = t.get("/api/v1/nothing-here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type(), "application/problem+json");
    assert_eq!(missing.body["status"], 404);

    let wrong = t.call(Method::DELETE, "/api/v1/auth/login", None, None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.content_type(), "application/problem+json");
    assert_eq!(wrong.problem_type(), "/problems/method-not-allowed");
    let allow = wrong.headers.get("allow").expect("an Allow header").to_str().unwrap();
    assert!(allow.contains("POST"), "{allow}");

    let page = t.get("/no-such-page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type().starts_with("text/html"));
});

/// Serves the operators' metrics router on a port of its own; returns its `/metrics` address.
async fn metrics_address() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, agora_http::metrics_router()).await.unwrap() });
    format!("http://{addr}/metrics")
}

db_test!(
    operational_endpoints_report_health_and_readiness_and_metrics_only_privately,
    |t| {
        let health = t.get("/healthz", None).await;
        assert_eq!(health.status, StatusCode::OK);
        assert!(health.headers.contains_key("x-request-id"));
        let ready = t.get("/readyz", None).await;
        assert_eq!(ready.status, StatusCode::OK);
        assert_eq!(ready.body["status"], "ready");
        let body = ready.text.to_lowercase();
        assert!(!body.contains("sqlite") && !body.contains("postgres"), "{body}");

        let public = t.get("/metrics", None).await;
        assert_eq!(public.status, StatusCode::NOT_FOUND, "metrics are not public");
        let metrics = t.client.get(metrics_address().await).send().await.unwrap();
        assert_eq!(metrics.status(), StatusCode::OK);
        assert!(metrics.text().await.unwrap().contains("agora_http_requests_total"));
    }
);

db_test!(no_request_adds_label_values_to_the_metrics, |t| {
    // Serving the metrics installs the recorder: before the flood, so that it is counted.
    let metrics = metrics_address().await;
    let marker = format!("{:08x}", rand::random::<u32>());
    for i in 0..20 {
        let method = Method::from_bytes(format!("X{marker}{i}").as_bytes()).unwrap();
        t.call(method, &format!("/api/v1/zz{marker}/{i}"), None, None).await;
        t.get(&format!("/zz{marker}/{i}"), None).await;
        t.get(&format!("/p/zz{marker}{i}"), None).await;
    }
    let text = t.client.get(metrics).send().await.unwrap().text().await.unwrap();
    assert!(
        !text.contains(&marker),
        "a request's own method or address became a label:\n{text}"
    );
    for label in [r#"method="other""#, r#"route="unmatched""#, r#"route="/p/{id}""#] {
        assert!(text.contains(label), "{label} is counted:\n{text}");
    }
});

db_test!(pages_carry_security_headers, |t| {
    let home = t.get("/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    let csp = home.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(home.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(home.headers.contains_key("referrer-policy"));
});

db_test!(a_page_form_without_its_csrf_token_is_refused, |t| {
    let r = t
        .client
        .post(t.url("/register"))
        .form(&[
            ("email", "csrf@example.com"),
            ("password", "long enough"),
            ("name", "C"),
            ("kind", "individual"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let login = t
        .post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "csrf@example.com", "password": "long enough"}),
        )
        .await;
    assert_eq!(
        login.status,
        StatusCode::UNAUTHORIZED,
        "the forged form created nothing"
    );
});

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_value(agora_http::openapi()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}

db_test!(the_api_docs_are_served_from_the_binary, |t| {
    let doc = t.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["paths"]["/api/v1/auth/register"].is_object());
    let docs = t.client.get(t.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger"), "the Swagger UI page");
    assert!(!html.contains("cdn") && !html.contains("unpkg"), "no CDN");
});

db_test!(money_is_documented_as_integer_minor_units_and_a_currency_code, |t| {
    let doc = t.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let schemas = &doc.body["components"]["schemas"];
    let money = &schemas["Money"];
    assert_eq!(money["type"], "object", "{money}");
    let amount = &money["properties"]["amount"];
    assert_eq!(amount["type"], "integer", "{amount}");
    assert_eq!(amount["format"], "int64", "{amount}");
    let currency = &money["properties"]["currency"];
    assert_eq!(currency["type"], "string", "{currency}");
    assert_eq!(currency["pattern"], "^[A-Z]{3}$", "{currency}");
    assert_eq!((&currency["minLength"], &currency["maxLength"]), (&3.into(), &3.into()));
    assert_eq!(money["required"], serde_json::json!(["amount", "currency"]));

    // Every field that carries money points at that schema, never at a bare object.
    let money_ref = "#/components/schemas/Money";
    for (schema, field) in [
        ("VariantView", "price"),
        ("VariantView", "company_price"),
        ("ProductSummary", "price"),
        ("SearchItem", "price"),
        ("OfferView", "price"),
        ("OfferView", "shipping"),
        ("OfferView", "landed_price"),
        ("CompanyPriceBody", "unit_price"),
        ("ShippingBody", "amount"),
        ("PriceTier", "unit_price"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert!(
            property.to_string().contains(money_ref),
            "{schema}.{field} is not documented as Money: {property}"
        );
    }
    for schema in ["VariantView", "TiersBody"] {
        let tiers = &schemas[schema]["properties"]["price_tiers"]["items"]["$ref"];
        assert_eq!(tiers, "#/components/schemas/PriceTier", "{schema}.price_tiers");
    }
    assert_eq!(schemas["PriceTier"]["properties"]["min_qty"]["type"], "integer");
});

#[tokio::test]
async fn each_schema_name_in_the_document_means_one_shape() {
    let doc = serde_json::to_value(agora_http::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    // The account's shops carry their review status; a search hit's shop does not.
    let shops = &schemas["AccountView"]["properties"]["shops"]["items"]["$ref"];
    let name = shops.as_str().unwrap().trim_start_matches("#/components/schemas/");
    let fields = &schemas[name]["properties"];
    for field in ["id", "name", "slug", "status"] {
        assert!(fields[field].is_object(), "{name} lacks {field}: {fields}");
    }
    let hit_shop = &schemas["SearchItem"]["properties"]["shop"]["$ref"];
    assert_ne!(shops, hit_shop);
}
