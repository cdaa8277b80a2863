//! The description of the services' JSON APIs, as OpenAPI 3.1, built from
//! what each service declares beside its routes ([`crate::Service::api`]):
//! the path (the same constant its router is built with), the query
//! parameters with an example, who may call it, and the JSON Schema of its
//! answer. The server serves it at `/openapi.json`; the tests call every
//! operation with its examples and check each answer against its schema,
//! so the description cannot drift from what the server answers.

use serde_json::{Value, json};

/// Where the description is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The version of the JSON APIs described: it changes only with a breaking
/// change (see `docs/api.md`), when the old paths keep answering beside
/// the new ones.
pub const API_VERSION: &str = "1";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Security {
    /// A Solid-OIDC token (or none, for public data), authorised by WAC.
    #[default]
    SolidOidc,
    /// A registered data holder's id and secret (HTTP Basic).
    Holder,
}

/// One operation of a JSON API: a GET, or a POST when it takes a body.
#[derive(Debug, Clone, Default)]
pub struct Operation {
    /// The route's path, with `{pod}` for the pod's name and other
    /// `{name}`s described in `path_params`.
    pub path: &'static str,
    /// A stable identifier (`energySummary`).
    pub id: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// What WAC must grant the caller, in words ("Read on /selfdata/energy/").
    pub access: &'static str,
    pub security: Security,
    /// The path's parameters other than `{pod}`.
    pub path_params: Vec<Param>,
    /// The query parameters.
    pub params: Vec<Param>,
    /// The request headers it reads.
    pub headers: Vec<Param>,
    /// A request body (the operation is then a POST): its media types,
    /// what it is, and an example (of the first type).
    pub body: Option<RequestBody>,
    /// The JSON Schema (2020-12) of a 200 answer.
    pub answer: Value,
}

/// What a POST sends.
#[derive(Debug, Clone)]
pub struct RequestBody {
    pub media_types: Vec<&'static str>,
    pub description: &'static str,
    pub example: String,
}

impl Operation {
    fn method(&self) -> &'static str {
        if self.body.is_some() { "post" } else { "get" }
    }
}

/// A query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub schema: Value,
    /// A value the tests call the operation with.
    pub example: Value,
}

impl Param {
    pub fn new(name: &'static str, required: bool, description: &'static str) -> Self {
        Self {
            name,
            required,
            description,
            schema: json!({"type": "string"}),
            example: Value::Null,
        }
    }

    /// The value's schema (a string by default).
    pub fn schema(mut self, schema: Value) -> Self {
        self.schema = schema;
        self
    }

    pub fn example(mut self, example: impl Into<Value>) -> Self {
        self.example = example.into();
        self
    }
}

/// The OpenAPI 3.1 document of `operations`, on the server at `base_url`.
pub fn openapi(base_url: &str, operations: &[Operation]) -> Value {
    let mut paths = serde_json::Map::new();
    for op in operations {
        let mut parameters = Vec::new();
        if op.path.contains("{pod}") {
            parameters.push(json!({
                "name": "pod",
                "in": "path",
                "required": true,
                "description": "The pod's name (the first segment of its address).",
                "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"},
            }));
        }
        for (place, list) in [
            ("path", &op.path_params),
            ("query", &op.params),
            ("header", &op.headers),
        ] {
            for p in list {
                let mut param = json!({
                    "name": p.name,
                    "in": place,
                    "required": p.required || place == "path",
                    "description": p.description,
                    "schema": p.schema,
                });
                if !p.example.is_null() {
                    param["example"] = p.example.clone();
                }
                parameters.push(param);
            }
        }
        let (scheme, unauthorised, forbidden) = match op.security {
            Security::SolidOidc => (
                "solidOidc",
                "No credentials were sent, and the pod's data is not public.",
                "The caller's credentials are not granted the access named above.",
            ),
            Security::Holder => (
                "holderSecret",
                "The holder's id and secret are missing or wrong.",
                "The holder may not do this (a push unsigned where a signature is required, a transfer that ended).",
            ),
        };
        let mut operation = json!({
            "operationId": op.id,
            "summary": op.summary,
            "description": format!("{}\n\nAccess: {}.", op.description, op.access),
            "security": [{scheme: []}],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The answer.",
                    "content": {"application/json": {"schema": op.answer}},
                },
                "400": problem("A parameter is missing or wrong; the detail says which and why."),
                "401": problem(unauthorised),
                "403": problem(forbidden),
            },
        });
        if let Some(body) = &op.body {
            let content: serde_json::Map<String, Value> = body
                .media_types
                .iter()
                .map(|t| ((*t).to_owned(), json!({"schema": {"type": "string"}})))
                .collect();
            operation["requestBody"] = json!({
                "required": true,
                "description": body.description,
                "content": content,
            });
            operation["requestBody"]["content"][body.media_types[0]]["example"] =
                body.example.clone().into();
        }
        let item = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        item[op.method()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "selfdata JSON APIs",
            "version": API_VERSION,
            "description": "What the resident services answer about a pod, for apps. Every call is authorised like a read of the pod's resources (Solid-OIDC: a DPoP-bound access token and a DPoP proof, or no credentials for public data). The pod's own resources are read and written with the Solid Protocol; see docs/api.md for the pod layout of each service and the versioning rules.",
        },
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {
                "solidOidc": {
                    "type": "http",
                    "scheme": "DPoP",
                    "description": "A Solid-OIDC access token from this server's provider (or an issuer its operator trusts), with a DPoP proof of the request.",
                },
                "holderSecret": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A registered data holder's id and secret, given by the operator (see docs/holders.md).",
                },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string", "description": "A sentence a person can act on."},
                    },
                },
            },
        },
        "paths": paths,
    })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}

/// Shorthands for the schemas the services write.
pub mod schema {
    use serde_json::{Value, json};

    /// An object with exactly these `required` properties, others allowed
    /// (a field may be added without a new version).
    pub fn object(required: &[&str], properties: Value) -> Value {
        json!({"type": "object", "required": required, "properties": properties})
    }

    pub fn array(items: Value) -> Value {
        json!({"type": "array", "items": items})
    }

    /// A number, or null when unknown.
    pub fn number_or_null() -> Value {
        json!({"type": ["number", "null"]})
    }

    /// A calendar date, `2026-12-06`.
    pub fn date() -> Value {
        json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
    }

    pub fn string() -> Value {
        json!({"type": "string"})
    }

    pub fn integer() -> Value {
        json!({"type": "integer"})
    }

    pub fn boolean() -> Value {
        json!({"type": "boolean"})
    }

    /// One of these strings.
    pub fn one_of(values: &[&str]) -> Value {
        json!({"type": "string", "enum": values})
    }
}
