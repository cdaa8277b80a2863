//! What the holders' API answers, for `/openapi.json`: the routes a data
//! holder's IT calls with the id and secret the operator gave it (see
//! `docs/holders.md`). The receipt key (`/holders/v1/receipt-key`, text)
//! and a transferred file (its own type) are not JSON and are described
//! there only.

use selfdata_service::api::schema::*;
use selfdata_service::api::{Operation, Param, RequestBody, Security};
use serde_json::json;

pub const PUSHES_PATH: &str = "/holders/v1/pushes";
pub const TRANSFERS_PATH: &str = "/holders/v1/transfers";
pub const TRANSFER_PATH: &str = "/holders/v1/transfers/{id}";

/// A push of the column layout, as the API's example (one meter, one day).
pub const EXAMPLE_PUSH: &str = "Export Eau du Grand Lyon\nNuméro de compteur;Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\nM000001;01/12/2026 12:00;4242000101;101;Mesuré\n";

pub fn operations() -> Vec<Operation> {
    let transfer = || {
        json!({
            "id": string(), "href": string(), "purpose": string(),
            "resources": array(string()), "granted": string(), "expires": string(),
        })
    };
    vec![
        Operation {
            path: PUSHES_PATH,
            id: "holderPush",
            summary: "A data holder pushes the export it already makes, for many customers at once.",
            description: "selfdata splits the file by customer, delivers each consenting customer's part to their pod through the normal import path, drops the others' rows unread and unkept, and answers a signed receipt: how many customers were delivered, skipped for lack of consent, which rows (or parts) failed and why. A retry with the same Idempotency-Key delivers nothing twice and answers the same receipt.",
            access: "the holder's id and secret (and its signature, when the operator registered its key)",
            security: Security::Holder,
            headers: vec![
                Param::new("Idempotency-Key", true, "The holder's key for this push (8 to 128 letters, digits, '-', '_', '.', ':').")
                    .example("water-2026-12-01"),
                Param::new("Holder-Signature", false, "The holder's Ed25519 signature of the push, required when the operator registered its key (see docs/holders.md)."),
            ],
            body: Some(RequestBody {
                media_types: vec!["text/csv", "multipart/form-data"],
                description: "One CSV for many customers (a column names each row's customer), or a multipart body of one file per customer, as the operator registered the holder.",
                example: EXAMPLE_PUSH.to_owned(),
            }),
            answer: object(
                &["push", "delivered", "skipped", "failed", "failures", "receipt", "verifier_key"],
                json!({
                    "push": string(),
                    "delivered": integer(), "skipped": integer(), "failed": integer(),
                    "rows": integer(), "parts": integer(),
                    "failures": array(object(&["why"], json!({"line": integer(), "part": integer(), "why": string()}))),
                    "receipt": {"type": "string", "description": "The signed receipt (a C2SP signed note), to keep."},
                    "verifier_key": {"type": "string", "description": "The key that checks it, also at /holders/v1/receipt-key."},
                }),
            ),
            ..Default::default()
        },
        Operation {
            path: TRANSFERS_PATH,
            id: "holderTransfers",
            summary: "The direct transfers residents give this holder, still under way.",
            description: "Each names the parts of a pod the holder may read, for which purpose, until when. A transfer the resident stopped, or whose consent record was withdrawn, is not listed.",
            access: "the holder's id and secret",
            security: Security::Holder,
            answer: object(&["transfers"], json!({"transfers": array(object(&["id", "href", "purpose", "resources", "granted", "expires"], transfer()))})),
            ..Default::default()
        },
        Operation {
            path: TRANSFER_PATH,
            id: "holderTransfer",
            summary: "One transfer and every file it covers now, each with its address to read it.",
            description: "Reading the list is logged in the resident's access log as a read of each resource named. At most 10,000 files are listed (`truncated` says when more exist).",
            access: "the holder's id and secret; the transfer must be this holder's and under way (403 once ended)",
            security: Security::Holder,
            path_params: vec![Param::new("id", true, "The transfer's id, from the list.")],
            answer: {
                let mut t = transfer();
                t["files"] = array(object(
                    &["path", "href", "type", "size", "modified"],
                    json!({"path": string(), "href": string(), "type": string(), "size": integer(), "modified": string()}),
                ));
                t["truncated"] = boolean();
                object(&["id", "purpose", "resources", "files", "truncated"], t)
            },
            ..Default::default()
        },
    ]
}
