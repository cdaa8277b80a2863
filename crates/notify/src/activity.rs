//! One notification (Solid Notifications Protocol §8): an Activity Streams
//! activity saying what happened to the topic, in JSON-LD (the websocket
//! channel) or Turtle (the streaming channel, as Community Solid Server
//! sends it).

use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNode, Triple};

const AS: &str = "https://www.w3.org/ns/activitystreams#";
const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// The topic was created.
    Create,
    /// The topic changed (for a container: a member changed).
    Update,
    /// The topic was deleted.
    Delete,
    /// A member was created in the topic container.
    Add,
    /// A member was deleted from the topic container.
    Remove,
}

impl Activity {
    pub fn name(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Update => "Update",
            Activity::Delete => "Delete",
            Activity::Add => "Add",
            Activity::Remove => "Remove",
        }
    }
}

/// A notification about one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub activity: Activity,
    /// The resource acted on: the topic, or for Add/Remove the member.
    pub object: String,
    /// For Add/Remove: the container (the topic).
    pub target: Option<String>,
    /// The topic's entity tag after the change (none once deleted), as its
    /// `ETag` header gives it.
    pub state: Option<String>,
    /// When the change was committed, milliseconds since the epoch, UTC.
    pub published_ms: i64,
}

impl Notification {
    /// The JSON-LD form, compacted with the protocol's context.
    pub fn to_json_ld(&self) -> String {
        let mut json = serde_json::json!({
            "@context": [AS_CONTEXT, crate::CONTEXT],
            "id": urn_uuid(),
            "type": self.activity.name(),
            "object": self.object,
            "published": published(self.published_ms),
        });
        if let Some(target) = &self.target {
            json["target"] = target.clone().into();
        }
        if let Some(state) = &self.state {
            json["state"] = state.clone().into();
        }
        json.to_string()
    }

    /// The Turtle form, with absolute IRIs (the stream's own address is no
    /// base for them).
    pub fn to_turtle(&self) -> String {
        let mut graph = Graph::new();
        let id = NamedNode::new_unchecked(urn_uuid());
        let term = |local: &str| NamedNode::new_unchecked(format!("{AS}{local}"));
        graph.insert(&Triple::new(
            id.clone(),
            rdf::TYPE,
            term(self.activity.name()),
        ));
        if let Ok(object) = NamedNode::new(&self.object) {
            graph.insert(&Triple::new(id.clone(), term("object"), object));
        }
        if let Some(Ok(target)) = self.target.as_deref().map(NamedNode::new) {
            graph.insert(&Triple::new(id.clone(), term("target"), target));
        }
        if let Some(state) = &self.state {
            graph.insert(&Triple::new(
                id.clone(),
                NamedNode::new_unchecked(format!("{}state", crate::NOTIFY)),
                Literal::new_simple_literal(state),
            ));
        }
        graph.insert(&Triple::new(
            id,
            term("published"),
            Literal::new_typed_literal(published(self.published_ms), xsd::DATE_TIME),
        ));
        selfdata_rdf::serialize(&graph, selfdata_rdf::RdfFormat::Turtle, "")
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

/// `urn:uuid:` and a random (version 4) UUID.
fn urn_uuid() -> String {
    uuid::Uuid::new_v4().urn().to_string()
}

/// An `xsd:dateTime` in UTC.
pub(crate) fn published(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added() -> Notification {
        Notification {
            activity: Activity::Add,
            object: "https://pods.example/alice/notes/a.ttl".into(),
            target: Some("https://pods.example/alice/notes/".into()),
            state: Some("\"1f\"".into()),
            published_ms: 1_764_979_200_000,
        }
    }

    #[test]
    fn json_ld_names_the_member_the_container_and_its_new_state() {
        let json: serde_json::Value = serde_json::from_str(&added().to_json_ld()).unwrap();
        assert_eq!(json["type"], "Add");
        assert_eq!(json["object"], "https://pods.example/alice/notes/a.ttl");
        assert_eq!(json["target"], "https://pods.example/alice/notes/");
        assert_eq!(json["state"], "\"1f\"");
        assert_eq!(json["published"], "2025-12-06T00:00:00Z");
        assert!(json["id"].as_str().unwrap().starts_with("urn:uuid:"));
        assert_eq!(json["@context"][1], crate::CONTEXT);
    }

    #[test]
    fn turtle_reads_back_as_the_same_activity() {
        let turtle = added().to_turtle();
        let graph = selfdata_rdf::parse(
            turtle.as_bytes(),
            selfdata_rdf::RdfFormat::Turtle,
            "https://elsewhere.example/stream",
        )
        .unwrap();
        let text = graph.to_string();
        assert!(
            text.contains("<https://www.w3.org/ns/activitystreams#Add>"),
            "{text}"
        );
        assert!(
            text.contains("<https://pods.example/alice/notes/a.ttl>"),
            "{text}"
        );
        assert!(!text.contains("elsewhere"), "IRIs are absolute: {text}");
    }
}
