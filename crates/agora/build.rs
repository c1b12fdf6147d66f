//! Marks the PostgreSQL variants of the database tests as runnable when `AGORA_TEST_POSTGRES_URL`
//! is set at build time; otherwise they show up as ignored (never as silently passing).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(agora_pg)");
    println!("cargo::rerun-if-env-changed=AGORA_TEST_POSTGRES_URL");
    if std::env::var_os("AGORA_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=agora_pg");
    }
}
