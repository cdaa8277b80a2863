//! Web Access Control (WAC) for selfdata: which modes an agent is granted by
//! an ACL document. Pure: no IO, no HTTP, no storage.
//!
//! The caller finds the effective ACL (the target's own `.acl`, or the
//! nearest ancestor container's), parses it with `selfdata_rdf::parse`
//! using the `.acl` URI as base IRI, loads any group documents it
//! [references](referenced_groups), and asks for the [`allowed_modes`] (or
//! the [`permissions`] for the `WAC-Allow` header). It compares them with
//! the modes the request needs ([`required_modes`] on the target,
//! [`parent_modes`] on the parent container).
//!
//! Rules, from the WAC specification (<https://solidproject.org/TR/wac>):
//!
//! * An authorization is a subject with `rdf:type acl:Authorization`; others
//!   are ignored. It needs an access object, a known mode and a subject.
//! * Own ACL: only `acl:accessTo <target>` authorizations apply. Inherited
//!   ACL: only `acl:default <container>` authorizations apply, where
//!   `<container>` is the container whose ACL it is, and only to resources
//!   below it.
//! * Modes: `acl:Read`, `acl:Write`, `acl:Append`, `acl:Control`; Write
//!   implies Append; unknown modes (and literals) are ignored.
//! * Subjects: `acl:agent <webid>`; `acl:agentClass foaf:Agent` (everyone);
//!   `acl:agentClass acl:AuthenticatedAgent` (any WebID); `acl:agentGroup
//!   <group>` (members resolved through [`Groups`]).
//! * `acl:origin` counts only when the request has an untrusted `Origin`
//!   header: then a mode is granted if it is public, or granted both to the
//!   agent and (by an authorization listing it) to the origin.
//!
//! ```
//! use selfdata_rdf::{RdfFormat, parse};
//! use selfdata_wac::{Agent, EffectiveAcl, Mode, NoGroups, allowed_modes, root_acl};
//!
//! let owner = "https://pod.example/profile/card#me";
//! let turtle = root_acl(owner)?;
//! let graph = parse(turtle.as_bytes(), RdfFormat::Turtle, "https://pod.example/.acl")?;
//! // A resource without its own ACL inherits the root's acl:default rules.
//! let acl = EffectiveAcl {
//!     graph: &graph,
//!     acl_uri: "https://pod.example/.acl",
//!     subject_uri: "https://pod.example/",
//!     inherited: true,
//! };
//! let target = "https://pod.example/notes/today.ttl";
//! let modes = allowed_modes(&acl, target, &Agent::authenticated(owner), &NoGroups);
//! assert!(modes.contains(Mode::Write) && modes.contains(Mode::Append));
//! assert!(allowed_modes(&acl, target, &Agent::anonymous(), &NoGroups).is_empty());
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod eval;
mod http;
mod mode;
mod origin;
mod templates;

pub use eval::{
    Agent, EffectiveAcl, Groups, NoGroups, Permissions, allowed_modes, group_members, permissions,
    referenced_groups,
};
pub use http::{parent_modes, parent_modes_for_create, required_modes};
pub use mode::{ACL_NS, Mode, ModeSet};
pub use origin::normalize_origin;
pub use templates::{
    TemplateError, owner_container_acl, profile_card_acl, public_read_resource_acl, root_acl,
};
