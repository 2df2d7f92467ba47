//! The committed SDL (`api/schema.graphql`, which the web UI's types are
//! generated from) is the schema the server serves.

#[test]
fn committed_sdl_matches_the_served_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read_to_string(&path).expect("api/schema.graphql exists");
    let served = cairn_server::graphql::sdl();
    assert!(
        committed.trim_end() == served.trim_end(),
        "api/schema.graphql is stale: run `cargo run -p cairn-api -- serve --print-schema > api/schema.graphql` \
         (and `npm run codegen` in web/)"
    );
}
