//! Creating a pod with what every new pod holds: a WebID profile document
//! (`profile/card`), an `inbox/` and a `selfdata/` container. The root is a
//! storage (`pim:Storage`), stated by the server in its representation.

use bytes::Bytes;
use selfdata_store::{Backend, PodInfo, PodName, Precondition, ResourcePath, StoreError, Write};

use crate::auth::token_hash;
use crate::uri::resource_uri;

/// A newly created pod and the owner token that opens it (shown once, never stored).
#[derive(Debug)]
pub struct NewPod {
    pub info: PodInfo,
    pub owner_token: String,
    /// The pod's root container URI.
    pub root_uri: String,
    /// The owner's WebID.
    pub webid: String,
}

/// Creates a pod and fills it with its initial resources.
pub async fn create_pod(
    store: &dyn Backend,
    base_url: &str,
    name: &PodName,
) -> Result<NewPod, StoreError> {
    let base_url = base_url.trim_end_matches('/');
    let owner_token = new_token();
    let info = store.create_pod(name, token_hash(&owner_token)).await?;
    let root_uri = resource_uri(base_url, name, &ResourcePath::root());
    let card = ResourcePath::parse("/profile/card")?;
    let card_uri = resource_uri(base_url, name, &card);
    let webid = format!("{card_uri}#me");
    // Relative IRIs keep the stored profile valid whatever the server's base URL.
    let profile = format!(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix pim: <http://www.w3.org/ns/pim/space#> .\n\
         @prefix ldp: <http://www.w3.org/ns/ldp#> .\n\n\
         <> a foaf:PersonalProfileDocument ;\n    foaf:maker <#me> ;\n    foaf:primaryTopic <#me> .\n\n\
         <#me> a foaf:Person ;\n    foaf:name \"{name}\" ;\n    pim:storage <../> ;\n    \
         ldp:inbox <../inbox/> .\n"
    );
    let writes = [
        ("/profile/card", profile),
        ("/inbox/", String::new()),
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
        owner_token,
        root_uri,
        webid,
    })
}

/// A fresh random bearer token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
