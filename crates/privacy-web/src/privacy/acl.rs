//! The people an owner has given access to, read from and written to the
//! pod's ACL resources. Writes go through [`selfdata_solid::AppState::write`]
//! so the pod server forgets its cached ACLs at once.

use selfdata_rdf::oxrdf::{Graph, NamedNode, NamedOrBlankNode, Term, TermRef, Triple, vocab::rdf};
use selfdata_rdf::{RdfFormat, parse, serialize};
use selfdata_store::{AuxKind, Backend, PodName, Precondition, ResourcePath, StoreError, Write};

pub use crate::vocab::ACL;

/// Resources visited at most when looking for ACLs (a pod holds few
/// containers; this only bounds a pathological one).
const MAX_VISITED: usize = 20_000;

/// One person's access, as an ACL authorization names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The ACL resource's path.
    pub acl: ResourcePath,
    /// The resource the ACL governs.
    pub resource: ResourcePath,
    pub agent: String,
    /// Mode IRIs (`acl:Read`…), sorted.
    pub modes: Vec<String>,
    /// When the ACL was last written (ms).
    pub modified_ms: i64,
}

fn acl_term(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ACL}{local}"))
}

/// Every `.acl` resource of the pod, with the resource it governs.
pub async fn acl_resources(
    store: &dyn Backend,
    pod: &PodName,
) -> Result<Vec<(ResourcePath, ResourcePath, i64, bytes::Bytes)>, StoreError> {
    let mut out = Vec::new();
    let mut queue = vec![ResourcePath::root()];
    let mut visited = 0;
    while let Some(path) = queue.pop() {
        visited += 1;
        if visited > MAX_VISITED {
            break;
        }
        let acl = path.aux(AuxKind::Acl);
        if let Some((meta, body)) = store.get(pod, &acl).await? {
            out.push((acl, path.clone(), meta.modified_ms, body));
        }
        if path.is_container() {
            for m in store.members(pod, &path).await? {
                queue.push(m.path);
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The authorizations of one ACL document, as (node, agents, modes).
fn authorizations(g: &Graph) -> Vec<(NamedOrBlankNode, Vec<String>, Vec<String>)> {
    let auth = acl_term("Authorization");
    let agent = acl_term("agent");
    let mode = acl_term("mode");
    g.subjects_for_predicate_object(rdf::TYPE, auth.as_ref())
        .map(|s| {
            let agents = g
                .objects_for_subject_predicate(s, agent.as_ref())
                .filter_map(|t| match t {
                    TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                    _ => None,
                })
                .collect();
            let mut modes: Vec<String> = g
                .objects_for_subject_predicate(s, mode.as_ref())
                .filter_map(|t| match t {
                    TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                    _ => None,
                })
                .collect();
            modes.sort();
            modes.dedup();
            (s.into_owned(), agents, modes)
        })
        .collect()
}

/// The accesses given to agents other than `owner`, in every ACL of the pod.
pub async fn people(
    store: &dyn Backend,
    base: &str,
    pod: &PodName,
    owner: &str,
) -> Result<Vec<Access>, StoreError> {
    let mut out: Vec<Access> = Vec::new();
    for (acl, resource, modified_ms, body) in acl_resources(store, pod).await? {
        let iri = selfdata_solid::uri::resource_uri(base, pod, &acl);
        let Ok(g) = parse(&body, RdfFormat::Turtle, &iri) else {
            continue; // a damaged ACL grants nothing; the pod server says so
        };
        for (_, agents, modes) in authorizations(&g) {
            for agent in agents.into_iter().filter(|a| a != owner) {
                match out.iter_mut().find(|x| x.acl == acl && x.agent == agent) {
                    Some(x) => {
                        x.modes.extend(modes.iter().cloned());
                        x.modes.sort();
                        x.modes.dedup();
                    }
                    None => out.push(Access {
                        acl: acl.clone(),
                        resource: resource.clone(),
                        agent,
                        modes: modes.clone(),
                        modified_ms,
                    }),
                }
            }
        }
    }
    Ok(out)
}

/// Removes every triple about `subject` (an authorization no longer wanted).
fn remove_subject(g: &mut Graph, subject: &NamedOrBlankNode) {
    let triples: Vec<Triple> = g
        .triples_for_subject(subject)
        .map(|t| t.into_owned())
        .collect();
    for t in triples {
        g.remove(&t);
    }
}

/// A write that removes `agent` from the ACL at `acl` (authorizations left
/// with nobody are removed whole).
pub fn remove_agent(acl_iri: String, acl: ResourcePath, agent: String) -> Write {
    Write::Modify {
        path: acl,
        precondition: Precondition::Exists,
        modify: Box::new(move |current| {
            let body = current.map(|(_, b)| b).unwrap_or_default();
            let mut g = parse(body, RdfFormat::Turtle, &acl_iri)?;
            let agent_p = acl_term("agent");
            let who = [
                acl_term("agent"),
                acl_term("agentClass"),
                acl_term("agentGroup"),
                acl_term("origin"),
            ];
            let agent_node = NamedNode::new(agent.clone())?;
            for (node, agents, _) in authorizations(&g) {
                if !agents.iter().any(|a| a == &agent) {
                    continue;
                }
                g.remove(&Triple::new(
                    node.clone(),
                    agent_p.clone(),
                    Term::from(agent_node.clone()),
                ));
                let anyone_left = who
                    .iter()
                    .any(|p| g.object_for_subject_predicate(&node, p).is_some());
                if !anyone_left {
                    remove_subject(&mut g, &node);
                }
            }
            let out = serialize(&g, RdfFormat::Turtle, &acl_iri)?;
            Ok(("text/turtle".to_owned(), bytes::Bytes::from(out)))
        }),
    }
}

/// A write that gives `agent` the `modes` on the container `folder` and
/// everything in it. When the folder has no ACL of its own yet, the new
/// one starts with the owner's full access (an ACL of its own replaces
/// the inherited rules).
pub fn share(
    base_acl_iri: String,
    acl: ResourcePath,
    folder_iri: String,
    owner: String,
    agent: String,
    modes: Vec<String>,
) -> Write {
    Write::Modify {
        path: acl,
        precondition: Precondition::None,
        modify: Box::new(move |current| {
            let mut g = match current {
                Some((_, body)) => parse(body, RdfFormat::Turtle, &base_acl_iri)?,
                None => {
                    let t = selfdata_wac::owner_container_acl(&owner)?;
                    parse(t.as_bytes(), RdfFormat::Turtle, &base_acl_iri)?
                }
            };
            let node = NamedNode::new(format!(
                "{base_acl_iri}#share-{}",
                &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(agent.as_bytes()))[..12]
            ))?;
            let subject = NamedOrBlankNode::from(node.clone());
            // Replace an earlier share with the same person.
            remove_subject(&mut g, &subject);
            let folder = NamedNode::new(folder_iri.clone())?;
            let agent_node = NamedNode::new(agent.clone())?;
            g.insert(&Triple::new(
                node.clone(),
                rdf::TYPE.into_owned(),
                acl_term("Authorization"),
            ));
            g.insert(&Triple::new(node.clone(), acl_term("agent"), agent_node));
            g.insert(&Triple::new(
                node.clone(),
                acl_term("accessTo"),
                folder.clone(),
            ));
            g.insert(&Triple::new(node.clone(), acl_term("default"), folder));
            for m in &modes {
                g.insert(&Triple::new(
                    node.clone(),
                    acl_term("mode"),
                    NamedNode::new(m.clone())?,
                ));
            }
            let out = serialize(&g, RdfFormat::Turtle, &base_acl_iri)?;
            Ok(("text/turtle".to_owned(), bytes::Bytes::from(out)))
        }),
    }
}

/// Whether `webid` reads as a WebID (an absolute http(s) IRI).
pub fn valid_webid(webid: &str) -> bool {
    (webid.starts_with("https://") || webid.starts_with("http://"))
        && webid.len() < 2000
        && NamedNode::new(webid).is_ok()
        && !webid.contains(char::is_whitespace)
}
