//! Which modes an HTTP request needs, per the WAC "Reading and Writing
//! Resources" section.
//!
//! A request may need modes on two resources: the target ([`required_modes`])
//! and its parent container ([`parent_modes`]), for creation and deletion.

use crate::mode::{Mode, ModeSet};

/// Modes needed on the target resource.
///
/// | request | modes on the target |
/// |---|---|
/// | anything on an ACL document (`target_is_acl`) | Control |
/// | `GET`, `HEAD`, `OPTIONS` | Read |
/// | `PUT` (create or replace) | Write |
/// | `POST` (create a member or add to the resource) | Append |
/// | `DELETE` | Write |
/// | `PATCH` | Write, *but see below* |
/// | any other method | all modes (deny unless fully trusted; answer 405 anyway) |
///
/// `PATCH` needs depend on the patch content: compute them with
/// `ModeSet::from(patch.required_modes())` ([`selfdata_rdf::Patch::required_modes`])
/// instead of calling this function. The `Write` returned here is the safe
/// fallback when the patch has not been parsed.
///
/// For an ACL document, evaluate the modes on the resource the ACL belongs
/// to (WAC: "When the target of the HTTP request is the ACL resource, the
/// operation can only be allowed with the `acl:Control` access mode").
///
/// `resource_exists` does not change the modes on the target; it matters for
/// [`parent_modes`]. It is taken here so both functions read the same.
/// `OPTIONS` is listed as Read for completeness; CORS preflight requests
/// carry no credentials and should be answered before authorization.
pub fn required_modes(method: &str, target_is_acl: bool, resource_exists: bool) -> ModeSet {
    let _ = resource_exists;
    if target_is_acl {
        return ModeSet::CONTROL;
    }
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => ModeSet::READ,
        "PUT" | "DELETE" | "PATCH" => ModeSet::WRITE,
        "POST" => ModeSet::APPEND,
        _ => ModeSet::ALL,
    }
}

/// Modes needed on the target's parent container.
///
/// * Creating a resource (`PUT` or `PATCH` on a missing, non-ACL resource):
///   Append ([`parent_modes_for_create`]); Write also satisfies it.
/// * `DELETE` of a non-ACL resource: Write (WAC: "the server MUST match
///   Authorizations allowing the `acl:Write` access privilege on the resource
///   and the containing container").
/// * Everything else, and all requests on ACL documents: nothing.
///
/// The root container has no parent; the caller skips this check for it.
/// When the server creates intermediate containers, the same create rule
/// applies to each of them (WAC "Container Permissions" note).
pub fn parent_modes(method: &str, target_is_acl: bool, resource_exists: bool) -> ModeSet {
    if target_is_acl {
        return ModeSet::EMPTY;
    }
    match method.to_ascii_uppercase().as_str() {
        "PUT" | "PATCH" if !resource_exists => parent_modes_for_create(),
        "DELETE" => ModeSet::from(Mode::Write),
        _ => ModeSet::EMPTY,
    }
}

/// Modes needed on a container to create a member in it: Append (WAC: "the
/// server MUST match an Authorization allowing the `acl:Append` or
/// `acl:Write` access privilege on the container for new members").
pub const fn parent_modes_for_create() -> ModeSet {
    ModeSet::APPEND
}
