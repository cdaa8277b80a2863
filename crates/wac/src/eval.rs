//! Evaluating an ACL document: which modes an [`Agent`] gets on a target.
//!
//! Follows the Authorization Conformance, Authorization Evaluation and Web
//! Origin Authorization sections of the WAC specification
//! (<https://solidproject.org/TR/wac>). See the crate documentation for
//! the rules in one place.

use std::collections::{BTreeMap, HashMap};

use selfdata_rdf::oxrdf::vocab::rdf;
use selfdata_rdf::oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};

use crate::mode::{Mode, ModeSet};
use crate::origin::normalize_origin;

const ACL_AUTHORIZATION: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#Authorization");
const ACL_ACCESS_TO: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#accessTo");
const ACL_DEFAULT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#default");
const ACL_MODE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#mode");
const ACL_AGENT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#agent");
const ACL_AGENT_CLASS: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#agentClass");
const ACL_AGENT_GROUP: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#agentGroup");
const ACL_ORIGIN: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/auth/acl#origin");
const ACL_AUTHENTICATED_AGENT: &str = "http://www.w3.org/ns/auth/acl#AuthenticatedAgent";
const FOAF_AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";
const VCARD_HAS_MEMBER: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2006/vcard/ns#hasMember");

/// Who is asking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Agent<'a> {
    /// The authenticated WebID; `None` for an unauthenticated request.
    pub webid: Option<&'a str>,
    /// The request's `Origin` header, if any. A request without one (not
    /// from a browser) is not origin-restricted.
    pub origin: Option<&'a str>,
    /// Set by the caller when `origin` is trusted, e.g. the server's own
    /// origin (WAC: "Implementations might implicitly allow a list of
    /// origins, such as the same-origin"), or an app the resident approved.
    /// A trusted origin needs no grant of its own, but an authorization that
    /// lists origins still never applies to a request from another origin.
    pub origin_trusted: bool,
    /// The client (app) identifier from the authentication token. WAC has no
    /// stable term for client restrictions yet, so evaluation ignores it.
    pub client_id: Option<&'a str>,
}

impl<'a> Agent<'a> {
    /// An unauthenticated request with no `Origin` header.
    pub const fn anonymous() -> Self {
        Agent {
            webid: None,
            origin: None,
            origin_trusted: false,
            client_id: None,
        }
    }

    /// A request authenticated as `webid`, with no `Origin` header.
    pub const fn authenticated(webid: &'a str) -> Self {
        Agent {
            webid: Some(webid),
            ..Agent::anonymous()
        }
    }

    /// The same agent with an `Origin` header; `trusted` as for
    /// [`Agent::origin_trusted`].
    #[must_use]
    pub const fn with_origin(self, origin: &'a str, trusted: bool) -> Self {
        Agent {
            origin: Some(origin),
            origin_trusted: trusted,
            ..self
        }
    }

    /// The origin that restricts this request, if any: `None` without an
    /// `Origin` header.
    fn restricting_origin(&self) -> Option<&'a str> {
        self.origin
    }
}

/// The ACL document that governs a resource, as found by the caller walking
/// up the container hierarchy (WAC "Effective ACL Resource Algorithm").
#[derive(Clone, Copy, Debug)]
pub struct EffectiveAcl<'a> {
    /// The parsed ACL document (parsed with `acl_uri` as base IRI).
    pub graph: &'a Graph,
    /// URI of the `.acl` document.
    pub acl_uri: &'a str,
    /// The resource the `.acl` belongs to: the target itself, or the ancestor
    /// container whose ACL is inherited.
    pub subject_uri: &'a str,
    /// `true` if the ACL comes from an ancestor container: then only
    /// `acl:default <subject_uri>` authorizations apply. `false` if it is the
    /// target's own ACL: then only `acl:accessTo <target>` authorizations apply.
    pub inherited: bool,
}

/// Resolves `acl:agentGroup` groups to their members. The caller loads the
/// group documents (see [`crate::referenced_groups`], [`group_members`]).
pub trait Groups {
    /// WebIDs of the members of `group_iri`, or `None` when the group is
    /// unknown or could not be loaded (treated as no match).
    fn members(&self, group_iri: &str) -> Option<Vec<String>>;
}

/// No groups resolvable: every `acl:agentGroup` rule is a non-match.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoGroups;

impl Groups for NoGroups {
    fn members(&self, _group_iri: &str) -> Option<Vec<String>> {
        None
    }
}

impl<S: std::hash::BuildHasher> Groups for HashMap<String, Vec<String>, S> {
    fn members(&self, group_iri: &str) -> Option<Vec<String>> {
        self.get(group_iri).cloned()
    }
}

impl Groups for BTreeMap<String, Vec<String>> {
    fn members(&self, group_iri: &str) -> Option<Vec<String>> {
        self.get(group_iri).cloned()
    }
}

/// Permissions for the `WAC-Allow` header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Modes granted to the requesting agent.
    pub user: ModeSet,
    /// Modes granted to the public (any agent, unauthenticated included).
    pub public: ModeSet,
}

impl Permissions {
    /// The `WAC-Allow` header value, e.g. `user="read write append control",public="read"`.
    pub fn wac_allow_header(&self) -> String {
        format!("user=\"{}\",public=\"{}\"", self.user, self.public)
    }
}

/// What one applicable authorization says about this request.
#[derive(Debug)]
struct Grant {
    modes: ModeSet,
    /// `acl:agentClass foaf:Agent`.
    public: bool,
    /// The requesting agent is matched by `acl:agent`, `acl:agentClass` or `acl:agentGroup`.
    agent: bool,
    /// The authorization names no agent at all (only `acl:origin`).
    origin_only: bool,
    /// The authorization lists at least one `acl:origin`.
    origins_listed: bool,
    /// One of the listed origins is the request's (restricting) origin.
    origin_match: bool,
}

/// The modes `agent` is granted on `target_uri` by `acl`.
///
/// * Own ACL (`acl.inherited == false`): `target_uri` must equal
///   `acl.subject_uri`, and authorizations apply through `acl:accessTo <target>`.
/// * Inherited ACL: `target_uri` must lie strictly below the container
///   `acl.subject_uri` (which ends in `/`), and authorizations apply through
///   `acl:default <subject_uri>`.
///
/// Anything else (a caller mix-up) grants nothing. For a request on an ACL
/// document itself, evaluate the resource the ACL belongs to and require
/// [`Mode::Control`] ([`crate::required_modes`]).
pub fn allowed_modes(
    acl: &EffectiveAcl<'_>,
    target_uri: &str,
    agent: &Agent<'_>,
    groups: &dyn Groups,
) -> ModeSet {
    let grants = grants(acl, target_uri, agent, groups);
    combine(
        &grants,
        agent.restricting_origin().is_some(),
        agent.origin_trusted,
    )
}

/// The requesting agent's modes and the public's modes, for `WAC-Allow`.
/// The public modes are those of an unauthenticated request with the same
/// `Origin` header.
pub fn permissions(
    acl: &EffectiveAcl<'_>,
    target_uri: &str,
    agent: &Agent<'_>,
    groups: &dyn Groups,
) -> Permissions {
    let user = allowed_modes(acl, target_uri, agent, groups);
    let public_agent = Agent {
        webid: None,
        client_id: None,
        ..*agent
    };
    let public = if agent.webid.is_none() {
        user
    } else {
        allowed_modes(acl, target_uri, &public_agent, groups)
    };
    Permissions { user, public }
}

/// Group IRIs named by `acl:agentGroup` in any authorization of `acl`,
/// sorted and deduplicated, so the caller can load their documents first.
/// A group IRI usually has a fragment (`<groups#friends>`): the document to
/// load is the IRI without it.
pub fn referenced_groups(acl: &Graph) -> Vec<String> {
    let mut out: Vec<String> = authorizations(acl)
        .flat_map(|auth| acl.objects_for_subject_predicate(auth, ACL_AGENT_GROUP))
        .filter_map(named_iri)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Members of `group_iri` in a loaded group document: the IRIs that are
/// objects of `<group_iri> vcard:hasMember`. Literals and blank nodes are
/// ignored.
pub fn group_members(group_doc: &Graph, group_iri: &str) -> Vec<String> {
    let Ok(group) = NamedNodeRef::new(group_iri) else {
        return Vec::new();
    };
    let mut out: Vec<String> = group_doc
        .objects_for_subject_predicate(group, VCARD_HAS_MEMBER)
        .filter_map(named_iri)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn named_iri(term: TermRef<'_>) -> Option<&str> {
    match term {
        TermRef::NamedNode(n) => Some(n.as_str()),
        _ => None,
    }
}

/// Subjects typed `acl:Authorization` (the type is required by
/// Authorization Conformance), each once.
fn authorizations(graph: &Graph) -> impl Iterator<Item = NamedOrBlankNodeRef<'_>> {
    graph.subjects_for_predicate_object(rdf::TYPE, ACL_AUTHORIZATION)
}

/// Whether `target_uri` is strictly inside the container `container_uri`.
fn is_below(target_uri: &str, container_uri: &str) -> bool {
    container_uri.ends_with('/')
        && target_uri.len() > container_uri.len()
        && target_uri.starts_with(container_uri)
}

fn has_named_object(
    graph: &Graph,
    auth: NamedOrBlankNodeRef<'_>,
    p: NamedNodeRef<'_>,
    iri: &str,
) -> bool {
    graph
        .objects_for_subject_predicate(auth, p)
        .any(|o| named_iri(o) == Some(iri))
}

fn grants(
    acl: &EffectiveAcl<'_>,
    target_uri: &str,
    agent: &Agent<'_>,
    groups: &dyn Groups,
) -> Vec<Grant> {
    let graph = acl.graph;
    let (access_predicate, scope_ok) = if acl.inherited {
        (ACL_DEFAULT, is_below(target_uri, acl.subject_uri))
    } else {
        (ACL_ACCESS_TO, target_uri == acl.subject_uri)
    };
    if !scope_ok {
        return Vec::new();
    }
    let origin = agent.restricting_origin().map(normalize_origin);
    let mut out = Vec::new();
    for auth in authorizations(graph) {
        if !has_named_object(graph, auth, access_predicate, acl.subject_uri) {
            continue;
        }
        let modes: ModeSet = graph
            .objects_for_subject_predicate(auth, ACL_MODE)
            .filter_map(named_iri)
            .filter_map(Mode::from_iri)
            .collect();
        if modes.is_empty() {
            continue;
        }
        let public = has_named_object(graph, auth, ACL_AGENT_CLASS, FOAF_AGENT);
        let agent_match = public
            || agent.webid.is_some_and(|webid| {
                has_named_object(graph, auth, ACL_AGENT, webid)
                    || has_named_object(graph, auth, ACL_AGENT_CLASS, ACL_AUTHENTICATED_AGENT)
                    || graph
                        .objects_for_subject_predicate(auth, ACL_AGENT_GROUP)
                        .filter_map(named_iri)
                        .any(|group| {
                            groups
                                .members(group)
                                .is_some_and(|members| members.iter().any(|m| m == webid))
                        })
            });
        let mut origins_listed = false;
        let mut origin_match = false;
        for o in graph.objects_for_subject_predicate(auth, ACL_ORIGIN) {
            // Any value counts as a restriction; only IRIs can match.
            origins_listed = true;
            if let (Some(Some(request)), Some(iri)) = (&origin, named_iri(o)) {
                origin_match |= normalize_origin(iri).as_ref() == Some(request);
            }
        }
        let origin_only = [ACL_AGENT, ACL_AGENT_CLASS, ACL_AGENT_GROUP]
            .into_iter()
            .all(|p| {
                graph
                    .objects_for_subject_predicate(auth, p)
                    .next()
                    .is_none()
            });
        out.push(Grant {
            modes,
            public,
            agent: agent_match,
            origin_only,
            origins_listed,
            origin_match,
        });
    }
    out
}

/// Combines the applicable authorizations.
///
/// Without a restricting origin, `acl:origin` is ignored (WAC: "taken into
/// account in the evaluation only when the HTTP request includes the
/// `Origin` header") and the agent gets the union of the matching grants.
///
/// With one, a mode is granted when it is public (`acl:agentClass
/// foaf:Agent`), or when it is granted both to the agent and to the origin.
/// The origin's modes come from authorizations listing it that either name
/// no agent or match this agent (`acl:agent <bob>; acl:origin <app>` lets
/// Bob use the app, not everyone). An authorization that lists origins never
/// applies to a request from another origin. A trusted origin needs no
/// grant of its own, but the previous sentence holds for it too.
fn combine(grants: &[Grant], origin_restricted: bool, origin_trusted: bool) -> ModeSet {
    let union = |pred: &dyn Fn(&Grant) -> bool| {
        grants
            .iter()
            .filter(|g| pred(g))
            .fold(ModeSet::EMPTY, |acc, g| acc | g.modes)
    };
    if !origin_restricted {
        return union(&|g| g.agent);
    }
    let origin_allows = |g: &Grant| !g.origins_listed || g.origin_match;
    if origin_trusted {
        return union(&|g| g.agent && origin_allows(g));
    }
    let public = union(&|g| g.public && origin_allows(g));
    let agent = union(&|g| g.agent && origin_allows(g));
    let origin = union(&|g| g.origin_match && (g.agent || g.origin_only));
    public | (agent & origin)
}
