//! Turtle for the ACL documents a new pod starts with, written by the RDF
//! crate's Turtle writer.
//!
//! The documents use relative IRIs (`<./>`, `<card>`) so they do not depend
//! on the server's base URL: parse them with the `.acl` document's own URI
//! as base IRI.

use selfdata_rdf::TurtleWriter;
use selfdata_rdf::oxrdf::NamedNode;
use selfdata_rdf::oxrdf::vocab::rdf;

/// A template argument that would not produce a sound ACL document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The WebID is not an absolute IRI.
    #[error("invalid WebID {0:?}: not an absolute IRI")]
    InvalidWebId(String),
    /// The resource name is empty, `.`/`..`, or has characters outside an
    /// IRI path segment (`/`, `?`, `#`, spaces, ...) or a colon.
    #[error("invalid resource name {0:?}: not a single IRI path segment")]
    InvalidResourceName(String),
}

const ACL: &str = "http://www.w3.org/ns/auth/acl#";
const FOAF_AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";

fn checked_webid(webid: &str) -> Result<&str, TemplateError> {
    NamedNode::new(webid)
        .map(|_| webid)
        .map_err(|_| TemplateError::InvalidWebId(webid.to_owned()))
}

/// Checks that `name` is one IRI path segment written as is. A colon is
/// refused too: a relative reference `a:b` would read as a scheme.
fn checked_name(name: &str) -> Result<&str, TemplateError> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '.'
                        | '_'
                        | '~'
                        | '!'
                        | '$'
                        | '&'
                        | '\''
                        | '('
                        | ')'
                        | '*'
                        | '+'
                        | ','
                        | ';'
                        | '='
                        | '@'
                        | '%'
                )
        });
    if ok {
        Ok(name)
    } else {
        Err(TemplateError::InvalidResourceName(name.to_owned()))
    }
}

/// One `acl:Authorization` (`<#id>`) in `doc`.
fn authorization(
    doc: &mut TurtleWriter,
    id: &str,
    who: (&str, &str),
    access_to: &NamedNode,
    default: bool,
    modes: &[&str],
) {
    let rule = doc.local(id);
    let (who_predicate, who) = who;
    doc.add(
        rule.clone(),
        rdf::TYPE.as_str(),
        doc.iri(&format!("{ACL}Authorization")),
    );
    doc.add(rule.clone(), &format!("{ACL}{who_predicate}"), doc.iri(who));
    doc.add(rule.clone(), &format!("{ACL}accessTo"), access_to.clone());
    if default {
        doc.add(rule.clone(), &format!("{ACL}default"), access_to.clone());
    }
    for mode in modes {
        doc.add(
            rule.clone(),
            &format!("{ACL}mode"),
            doc.iri(&format!("{ACL}{mode}")),
        );
    }
}

/// The `.acl` of a container owned by `owner_webid`, stored inside it (the
/// pod root's `/.acl`, or `/alice/.acl` for a pod at `/alice/`): the owner
/// has Read, Write and Control on the container (`acl:accessTo <./>`) and by
/// default on everything below it (`acl:default <./>`). Nobody else has
/// access.
pub fn owner_container_acl(owner_webid: &str) -> Result<String, TemplateError> {
    let webid = checked_webid(owner_webid)?;
    let mut doc = TurtleWriter::new(".acl").prefix("acl", ACL);
    let folder = doc.local("./");
    authorization(
        &mut doc,
        "#owner",
        ("agent", webid),
        &folder,
        true,
        &["Read", "Write", "Control"],
    );
    Ok(doc.finish())
}

/// The `.acl` of a new pod's root container: see [`owner_container_acl`].
pub fn root_acl(owner_webid: &str) -> Result<String, TemplateError> {
    owner_container_acl(owner_webid)
}

/// The `.acl` of a non-container resource named `resource_name` (the last
/// path segment, e.g. `card` for `/profile/card`, whose ACL is
/// `/profile/card.acl`): the owner has Read, Write and Control, and everyone
/// (`foaf:Agent`) has Read.
pub fn public_read_resource_acl(
    owner_webid: &str,
    resource_name: &str,
) -> Result<String, TemplateError> {
    let webid = checked_webid(owner_webid)?;
    let name = checked_name(resource_name)?;
    let mut doc = TurtleWriter::new(&format!("{name}.acl"))
        .prefix("acl", ACL)
        .prefix("foaf", "http://xmlns.com/foaf/0.1/");
    let target = doc.local(name);
    authorization(
        &mut doc,
        "#owner",
        ("agent", webid),
        &target,
        false,
        &["Read", "Write", "Control"],
    );
    authorization(
        &mut doc,
        "#public",
        ("agentClass", FOAF_AGENT),
        &target,
        false,
        &["Read"],
    );
    Ok(doc.finish())
}

/// The `.acl` of the WebID profile document `/profile/card`
/// (`/profile/card.acl`): owner Read/Write/Control, public Read.
pub fn profile_card_acl(owner_webid: &str) -> Result<String, TemplateError> {
    public_read_resource_acl(owner_webid, "card")
}
