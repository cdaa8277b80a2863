//! Creating a pod with what every new pod holds: a WebID profile document
//! (`profile/card`, naming this server as its OpenID issuer), an `inbox/` and
//! a `selfdata/` container, and access control: the owner alone controls the
//! pod (root `.acl`, inherited everywhere), and anyone may read the profile
//! card. The root is a storage (`pim:Storage`), stated by the server in its
//! representation.

use bytes::Bytes;
use selfdata_rdf::TurtleWriter;
use selfdata_rdf::oxrdf::vocab::rdf;
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
    let profile = profile_card(name, &root_uri, issuer);
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

/// The WebID profile document of a new pod (`/profile/card`): the document
/// and `<#me>`, the person, with the pod as storage, its inbox and the
/// issuer the WebID trusts.
fn profile_card(name: &PodName, root_uri: &str, issuer: &str) -> String {
    const FOAF: &str = "http://xmlns.com/foaf/0.1/";
    const PIM: &str = "http://www.w3.org/ns/pim/space#";
    let mut doc = TurtleWriter::new("card");
    let (card, me) = (doc.document(), doc.local("#me"));
    let rdf_type = rdf::TYPE.as_str();
    doc.add(
        card.clone(),
        rdf_type,
        doc.iri(&format!("{FOAF}PersonalProfileDocument")),
    );
    doc.add(card.clone(), &format!("{FOAF}maker"), me.clone());
    doc.add(card, &format!("{FOAF}primaryTopic"), me.clone());
    doc.add(me.clone(), rdf_type, doc.iri(&format!("{FOAF}Person")));
    doc.add(
        me.clone(),
        &format!("{FOAF}name"),
        TurtleWriter::literal(name.as_str()),
    );
    doc.add(me.clone(), &format!("{PIM}storage"), doc.iri(root_uri));
    doc.add(
        me.clone(),
        "http://www.w3.org/ns/ldp#inbox",
        doc.iri(&format!("{root_uri}inbox/")),
    );
    doc.add(
        me,
        "http://www.w3.org/ns/solid/terms#oidcIssuer",
        doc.iri(issuer),
    );
    doc.finish()
}
