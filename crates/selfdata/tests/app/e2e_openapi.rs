//! The description served at `/openapi.json`, checked by an OpenAPI
//! validator of its own (npm `@apidevtools/swagger-parser`) against the real
//! binary. Needs Node and `npm ci --prefix tests/e2e`.

use crate::e2e;

#[test]
fn the_published_openapi_document_is_valid_openapi() {
    let server = e2e::Running::start(&[]);
    e2e::node("openapi.mjs", &[("SELFDATA_BASE", server.base.as_str())]);
}
