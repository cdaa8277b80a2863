//! Turtle for the ACL documents a new pod starts with.
//!
//! The documents use relative IRIs (`<./>`, `<card>`) so they do not depend
//! on the server's base URL: parse them with the `.acl` document's own URI
//! as base IRI.

use selfdata_rdf::oxrdf::NamedNode;

/// A template argument that would not produce a sound ACL document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The WebID is not an absolute IRI.
    #[error("invalid WebID {0:?}: not an absolute IRI")]
    InvalidWebId(String),
    /// The resource name is empty, `.`/`..`, or has characters outside an
    /// IRI path segment (`/`, `?`, `#`, spaces, ...).
    #[error("invalid resource name {0:?}: not a single IRI path segment")]
    InvalidResourceName(String),
}

const PREFIXES: &str = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
                        @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n";

fn checked_webid(webid: &str) -> Result<&str, TemplateError> {
    // A valid absolute IRI cannot contain `>`, spaces or quotes, so it is
    // safe inside `<...>`.
    NamedNode::new(webid)
        .map(|_| webid)
        .map_err(|_| TemplateError::InvalidWebId(webid.to_owned()))
}

/// The relative IRI reference (`card`, or `./a:b` when the name has a colon
/// that would otherwise read as a scheme) of a sibling resource.
fn relative_ref(name: &str) -> Result<String, TemplateError> {
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
                        | ':'
                        | '@'
                        | '%'
                )
        });
    if !ok {
        return Err(TemplateError::InvalidResourceName(name.to_owned()));
    }
    Ok(if name.contains(':') {
        format!("./{name}")
    } else {
        name.to_owned()
    })
}

/// The `.acl` of a container owned by `owner_webid`, stored inside it (the
/// pod root's `/.acl`, or `/alice/.acl` for a pod at `/alice/`): the owner
/// has Read, Write and Control on the container (`acl:accessTo <./>`) and by
/// default on everything below it (`acl:default <./>`). Nobody else has
/// access.
pub fn owner_container_acl(owner_webid: &str) -> Result<String, TemplateError> {
    let webid = checked_webid(owner_webid)?;
    Ok(format!(
        "{PREFIXES}\n\
         # The owner has full access to this container and everything in it.\n\
         <#owner>\n    a acl:Authorization;\n    acl:agent <{webid}>;\n    \
         acl:accessTo <./>;\n    acl:default <./>;\n    \
         acl:mode acl:Read, acl:Write, acl:Control.\n"
    ))
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
    let target = relative_ref(resource_name)?;
    Ok(format!(
        "{PREFIXES}\n\
         # The owner has full access to the resource.\n\
         <#owner>\n    a acl:Authorization;\n    acl:agent <{webid}>;\n    \
         acl:accessTo <{target}>;\n    acl:mode acl:Read, acl:Write, acl:Control.\n\n\
         # Everyone can read it.\n\
         <#public>\n    a acl:Authorization;\n    acl:agentClass foaf:Agent;\n    \
         acl:accessTo <{target}>;\n    acl:mode acl:Read.\n"
    ))
}

/// The `.acl` of the WebID profile document `/profile/card`
/// (`/profile/card.acl`): owner Read/Write/Control, public Read.
pub fn profile_card_acl(owner_webid: &str) -> Result<String, TemplateError> {
    public_read_resource_acl(owner_webid, "card")
}
