//! Creating a pod with what every new pod holds: a WebID profile document
//! (`profile/card`, naming this server as its OpenID issuer), an `inbox/` and
//! a `selfdata/` container, and access control: the owner alone controls the
//! pod (root `.acl`, inherited everywhere), and anyone may read the profile
//! card. The root is a storage (`pim:Storage`), stated by the server in its
//! representation.

use bytes::Bytes;
use selfdata_store::{Backend, PodInfo, PodName, Precondition, ResourcePath, StoreError, Write};

use crate::uri::resource_uri;

/// The pod's inbox, where others may append (and meter exports are imported).
pub const INBOX: &str = "/inbox/";

/// A newly created pod.
#[derive(Debug)]
pub struct NewPod {
    pub info: PodInfo,
    /// The pod's root container URI.
    pub root_uri: String,
    /// The owner's WebID.
    pub webid: String,
}

/// The WebID of a pod's owner.
pub fn webid_of(base_url: &str, pod: &PodName) -> String {
    let card = ResourcePath::parse("/profile/card").expect("a fixed, valid path");
    format!(
        "{}#me",
        resource_uri(base_url.trim_end_matches('/'), pod, &card)
    )
}

/// Creates a pod and fills it with its initial resources.
/// `issuer` is the OpenID provider the WebID trusts (this server's).
pub async fn create_pod(
    store: &dyn Backend,
    base_url: &str,
    issuer: &str,
    name: &PodName,
) -> Result<NewPod, StoreError> {
    let base_url = base_url.trim_end_matches('/');
    let info = store.create_pod(name).await?;
    let root_uri = resource_uri(base_url, name, &ResourcePath::root());
    let webid = webid_of(base_url, name);
    // Relative IRIs keep the stored documents valid whatever the base URL;
    // the issuer and the owner's WebID in the ACLs are absolute by nature.
    let profile = format!(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix pim: <http://www.w3.org/ns/pim/space#> .\n\
         @prefix ldp: <http://www.w3.org/ns/ldp#> .\n\
         @prefix solid: <http://www.w3.org/ns/solid/terms#> .\n\n\
         <> a foaf:PersonalProfileDocument ;\n    foaf:maker <#me> ;\n    foaf:primaryTopic <#me> .\n\n\
         <#me> a foaf:Person ;\n    foaf:name \"{name}\" ;\n    pim:storage <../> ;\n    \
         ldp:inbox <../inbox/> ;\n    solid:oidcIssuer <{issuer}> .\n"
    );
    let invalid = |e: selfdata_wac::TemplateError| StoreError::Io(e.to_string());
    let writes = [
        ("/.acl", selfdata_wac::root_acl(&webid).map_err(invalid)?),
        ("/profile/card", profile),
        (
            "/profile/card.acl",
            selfdata_wac::profile_card_acl(&webid).map_err(invalid)?,
        ),
        (INBOX, String::new()),
        ("/selfdata/", String::new()),
    ];
    for (path, body) in writes {
        store
            .write(
                name,
                Write::Put {
                    path: ResourcePath::parse(path)?,
                    content_type: "text/turtle".to_owned(),
                    body: Bytes::from(body),
                    precondition: Precondition::Absent,
                },
            )
            .await?;
    }
    Ok(NewPod {
        info,
        root_uri,
        webid,
    })
}
