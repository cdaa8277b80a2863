//! Behaviour tests for WAC evaluation, the ACL templates and request modes.

use std::collections::HashMap;

use selfdata_rdf::oxrdf::Graph;
use selfdata_rdf::{PatchModes, RdfFormat, parse};
use selfdata_wac::{
    Agent, EffectiveAcl, Mode, ModeSet, NoGroups, Permissions, TemplateError, allowed_modes,
    group_members, owner_container_acl, parent_modes, parent_modes_for_create, permissions,
    profile_card_acl, public_read_resource_acl, referenced_groups, required_modes, root_acl,
};

const POD: &str = "https://pod.example/";
const ROOT_ACL: &str = "https://pod.example/.acl";
const OWNER: &str = "https://pod.example/profile/card#me";
const BOB: &str = "https://bob.example/profile/card#me";
const CAROL: &str = "https://carol.example/#i";
const PREFIXES: &str = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
                        @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
                        @prefix vcard: <http://www.w3.org/2006/vcard/ns#>.\n";

fn graph(turtle: &str, base: &str) -> Graph {
    parse(
        format!("{PREFIXES}{turtle}").as_bytes(),
        RdfFormat::Turtle,
        base,
    )
    .unwrap()
}

fn own<'a>(graph: &'a Graph, acl_uri: &'a str, subject: &'a str) -> EffectiveAcl<'a> {
    EffectiveAcl {
        graph,
        acl_uri,
        subject_uri: subject,
        inherited: false,
    }
}

fn inherited<'a>(graph: &'a Graph, acl_uri: &'a str, container: &'a str) -> EffectiveAcl<'a> {
    EffectiveAcl {
        graph,
        acl_uri,
        subject_uri: container,
        inherited: true,
    }
}

fn modes(list: &[Mode]) -> ModeSet {
    list.iter().copied().collect()
}

const RWAC: [Mode; 4] = [Mode::Read, Mode::Write, Mode::Append, Mode::Control];

// ---------- ModeSet ----------

#[test]
fn write_implies_append_in_mode_sets() {
    let w = ModeSet::from(Mode::Write);
    assert!(w.contains(Mode::Write) && w.contains(Mode::Append));
    assert_eq!(
        w.iter().collect::<Vec<_>>(),
        vec![Mode::Write, Mode::Append]
    );
    let a = ModeSet::from(Mode::Append);
    assert!(a.contains(Mode::Append) && !a.contains(Mode::Write));
    assert!(w.contains_all(a));
    assert!(!a.contains_all(w));
    assert_eq!(
        ModeSet::READ | ModeSet::CONTROL,
        modes(&[Mode::Read, Mode::Control])
    );
    assert_eq!(ModeSet::WRITE & ModeSet::APPEND, ModeSet::APPEND);
    assert_eq!(ModeSet::from(RWAC), ModeSet::ALL);
    assert_eq!(ModeSet::ALL.to_string(), "read write append control");
    assert_eq!(ModeSet::EMPTY.to_string(), "");
    assert_eq!(format!("{:?}", ModeSet::READ), "{Read}");
    assert_eq!(
        Mode::from_iri("http://www.w3.org/ns/auth/acl#Append"),
        Some(Mode::Append)
    );
    assert_eq!(Mode::from_iri("http://www.w3.org/ns/auth/acl#Access"), None);
}

#[test]
fn patch_modes_convert() {
    let insert_only = PatchModes {
        read: false,
        append: true,
        write: false,
    };
    assert_eq!(ModeSet::from(insert_only), ModeSet::APPEND);
    let delete = PatchModes {
        read: true,
        append: true,
        write: true,
    };
    assert_eq!(ModeSet::from(delete), modes(&[Mode::Read, Mode::Write]));
}

// ---------- templates ----------

#[test]
fn root_acl_owner_only() {
    let g = parse(
        root_acl(OWNER).unwrap().as_bytes(),
        RdfFormat::Turtle,
        ROOT_ACL,
    )
    .unwrap();
    // The root itself: its own ACL, acl:accessTo <./> = <https://pod.example/>.
    let acl = own(&g, ROOT_ACL, POD);
    assert_eq!(
        allowed_modes(&acl, POD, &Agent::authenticated(OWNER), &NoGroups),
        ModeSet::ALL
    );
    assert!(allowed_modes(&acl, POD, &Agent::authenticated(BOB), &NoGroups).is_empty());
    assert!(allowed_modes(&acl, POD, &Agent::anonymous(), &NoGroups).is_empty());

    // A deep resource inherits through acl:default <./>.
    let acl = inherited(&g, ROOT_ACL, POD);
    for target in [
        "https://pod.example/a/b/c/d.ttl",
        "https://pod.example/a/",
        "https://pod.example/x",
    ] {
        assert_eq!(
            allowed_modes(&acl, target, &Agent::authenticated(OWNER), &NoGroups),
            ModeSet::ALL,
            "{target}"
        );
        assert!(allowed_modes(&acl, target, &Agent::authenticated(BOB), &NoGroups).is_empty());
        assert!(allowed_modes(&acl, target, &Agent::anonymous(), &NoGroups).is_empty());
    }
}

#[test]
fn container_acl_works_for_a_pod_below_the_root() {
    let acl_uri = "https://srv.example/alice/.acl";
    let pod = "https://srv.example/alice/";
    let g = parse(
        owner_container_acl(OWNER).unwrap().as_bytes(),
        RdfFormat::Turtle,
        acl_uri,
    )
    .unwrap();
    let a = Agent::authenticated(OWNER);
    assert_eq!(
        allowed_modes(&own(&g, acl_uri, pod), pod, &a, &NoGroups),
        ModeSet::ALL
    );
    let deep = "https://srv.example/alice/notes/1";
    assert_eq!(
        allowed_modes(&inherited(&g, acl_uri, pod), deep, &a, &NoGroups),
        ModeSet::ALL
    );
    // Not above or beside the pod.
    let outside = "https://srv.example/bob/x";
    assert!(allowed_modes(&inherited(&g, acl_uri, pod), outside, &a, &NoGroups).is_empty());
}

#[test]
fn profile_card_public_read() {
    let acl_uri = "https://pod.example/profile/card.acl";
    let card = "https://pod.example/profile/card";
    let turtle = profile_card_acl(OWNER).unwrap();
    assert!(turtle.contains("<card>"), "{turtle}");
    let g = parse(turtle.as_bytes(), RdfFormat::Turtle, acl_uri).unwrap();
    let acl = own(&g, acl_uri, card);
    let owner = allowed_modes(&acl, card, &Agent::authenticated(OWNER), &NoGroups);
    assert_eq!(owner, ModeSet::ALL);
    assert_eq!(
        allowed_modes(&acl, card, &Agent::anonymous(), &NoGroups),
        ModeSet::READ
    );
    assert_eq!(
        allowed_modes(&acl, card, &Agent::authenticated(BOB), &NoGroups),
        ModeSet::READ
    );
    // Public read also holds from a browser app at any origin.
    let browser = Agent::anonymous().with_origin("https://random.app", false);
    assert_eq!(
        allowed_modes(&acl, card, &browser, &NoGroups),
        ModeSet::READ
    );

    let p = permissions(&acl, card, &Agent::authenticated(OWNER), &NoGroups);
    assert_eq!(
        p.wac_allow_header(),
        r#"user="read write append control",public="read""#
    );
}

#[test]
fn templates_reject_injection() {
    assert!(matches!(
        root_acl("not an iri"),
        Err(TemplateError::InvalidWebId(_))
    ));
    assert!(matches!(
        root_acl("https://evil.example/> acl:agentClass foaf:Agent; <x:y"),
        Err(TemplateError::InvalidWebId(_))
    ));
    assert!(matches!(
        root_acl("card#me"),
        Err(TemplateError::InvalidWebId(_))
    ));
    for bad in ["", ".", "..", "a/b", "a b", "a>b", "a#b", "a?b"] {
        assert!(
            matches!(
                public_read_resource_acl(OWNER, bad),
                Err(TemplateError::InvalidResourceName(_))
            ),
            "{bad:?}"
        );
    }
    // A colon in the name would read as a scheme: refused.
    assert!(matches!(
        public_read_resource_acl(OWNER, "a:b"),
        Err(TemplateError::InvalidResourceName(_))
    ));
}

// ---------- accessTo / default ----------

const MIXED: &str = "
<#own> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
    acl:accessTo <./>; acl:mode acl:Read.
<#inherit> a acl:Authorization; acl:agent <https://carol.example/#i>;
    acl:default <./>; acl:mode acl:Write.
";

#[test]
fn access_to_in_inherited_acl_does_not_apply_to_members() {
    let g = graph(MIXED, ROOT_ACL);
    let member = "https://pod.example/doc";
    let acl = inherited(&g, ROOT_ACL, POD);
    assert!(allowed_modes(&acl, member, &Agent::authenticated(BOB), &NoGroups).is_empty());
    assert_eq!(
        allowed_modes(&acl, member, &Agent::authenticated(CAROL), &NoGroups),
        ModeSet::WRITE
    );
}

#[test]
fn default_alone_does_not_apply_to_the_container_itself() {
    let g = graph(MIXED, ROOT_ACL);
    let acl = own(&g, ROOT_ACL, POD);
    assert_eq!(
        allowed_modes(&acl, POD, &Agent::authenticated(BOB), &NoGroups),
        ModeSet::READ
    );
    assert!(allowed_modes(&acl, POD, &Agent::authenticated(CAROL), &NoGroups).is_empty());
}

#[test]
fn default_must_name_the_container_whose_acl_it_is() {
    // An acl:default naming another container is ignored.
    let g = graph(
        "<#a> a acl:Authorization; acl:agentClass foaf:Agent;
            acl:default </other/>; acl:accessTo </other/>; acl:mode acl:Read.",
        "https://pod.example/c/.acl",
    );
    let acl = inherited(&g, "https://pod.example/c/.acl", "https://pod.example/c/");
    assert!(
        allowed_modes(
            &acl,
            "https://pod.example/c/x",
            &Agent::anonymous(),
            &NoGroups
        )
        .is_empty()
    );
    assert!(
        allowed_modes(
            &acl,
            "https://pod.example/other/x",
            &Agent::anonymous(),
            &NoGroups
        )
        .is_empty()
    );
}

#[test]
fn own_acl_needs_matching_target() {
    // accessTo a sibling in the same document does not apply to this resource.
    let acl_uri = "https://pod.example/d/a.acl";
    let g = graph(
        "<#p> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <b>; acl:mode acl:Read.",
        acl_uri,
    );
    let a = "https://pod.example/d/a";
    assert!(allowed_modes(&own(&g, acl_uri, a), a, &Agent::anonymous(), &NoGroups).is_empty());
    // A caller mix-up (target different from the ACL's subject) grants nothing.
    let b = "https://pod.example/d/b";
    assert!(allowed_modes(&own(&g, acl_uri, a), b, &Agent::anonymous(), &NoGroups).is_empty());
}

// ---------- agent classes and groups ----------

#[test]
fn authenticated_agent_vs_anonymous() {
    let g = graph(
        "<#auth> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent;
            acl:default <./>; acl:mode acl:Read, acl:Append.",
        ROOT_ACL,
    );
    let acl = inherited(&g, ROOT_ACL, POD);
    let t = "https://pod.example/inbox/";
    assert_eq!(
        allowed_modes(&acl, t, &Agent::authenticated(BOB), &NoGroups),
        modes(&[Mode::Read, Mode::Append])
    );
    assert!(allowed_modes(&acl, t, &Agent::anonymous(), &NoGroups).is_empty());
    let p = permissions(&acl, t, &Agent::authenticated(BOB), &NoGroups);
    assert_eq!(p.wac_allow_header(), r#"user="read append",public="""#);
}

#[test]
fn agent_group_membership() {
    let group_doc_uri = "https://pod.example/groups";
    let groups_doc = graph(
        "<#friends> a vcard:Group; vcard:hasMember <https://bob.example/profile/card#me>, \"not an iri\".
         <#others> vcard:hasMember <https://carol.example/#i>.",
        group_doc_uri,
    );
    let friends = "https://pod.example/groups#friends";
    assert_eq!(group_members(&groups_doc, friends), vec![BOB.to_owned()]);
    assert!(group_members(&groups_doc, "not an iri").is_empty());

    let g = graph(
        "<#g> a acl:Authorization; acl:agentGroup </groups#friends>, </groups#unknown>;
            acl:accessTo </shared>; acl:mode acl:Read.
         <#untyped> acl:agentGroup </groups#ignored>; acl:accessTo </shared>; acl:mode acl:Read.",
        "https://pod.example/shared.acl",
    );
    assert_eq!(
        referenced_groups(&g),
        vec![
            "https://pod.example/groups#friends".to_owned(),
            "https://pod.example/groups#unknown".to_owned()
        ]
    );
    let mut resolved = HashMap::new();
    resolved.insert(friends.to_owned(), group_members(&groups_doc, friends));
    let shared = "https://pod.example/shared";
    let acl = own(&g, "https://pod.example/shared.acl", shared);
    assert_eq!(
        allowed_modes(&acl, shared, &Agent::authenticated(BOB), &resolved),
        ModeSet::READ
    );
    assert!(allowed_modes(&acl, shared, &Agent::authenticated(CAROL), &resolved).is_empty());
    assert!(allowed_modes(&acl, shared, &Agent::anonymous(), &resolved).is_empty());
    // Unresolvable groups match nobody.
    assert!(allowed_modes(&acl, shared, &Agent::authenticated(BOB), &NoGroups).is_empty());
}

// ---------- modes ----------

#[test]
fn append_without_write_and_write_implies_append() {
    let acl_uri = "https://pod.example/inbox/.acl";
    let inbox = "https://pod.example/inbox/";
    let g = graph(
        "<#drop> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Append.
         <#w> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
            acl:accessTo <./>; acl:mode acl:Write.",
        acl_uri,
    );
    let acl = own(&g, acl_uri, inbox);
    let anyone = allowed_modes(&acl, inbox, &Agent::anonymous(), &NoGroups);
    assert_eq!(anyone, ModeSet::APPEND);
    assert!(anyone.contains_all(required_modes("POST", false, true)));
    assert!(!anyone.contains_all(required_modes("PUT", false, true)));
    assert!(!anyone.contains_all(required_modes("DELETE", false, true)));
    assert!(!anyone.contains(Mode::Read));

    let bob = allowed_modes(&acl, inbox, &Agent::authenticated(BOB), &NoGroups);
    assert_eq!(bob, modes(&[Mode::Write, Mode::Append]));
    assert!(bob.contains_all(required_modes("POST", false, true)));
    assert!(bob.contains_all(required_modes("PUT", false, true)));
    assert!(bob.contains_all(parent_modes_for_create()));
    assert!(!bob.contains(Mode::Control));
}

#[test]
fn control_does_not_imply_read() {
    let acl_uri = "https://pod.example/r.acl";
    let r = "https://pod.example/r";
    let g = graph(
        "<#c> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
            acl:accessTo <r>; acl:mode acl:Control.",
        acl_uri,
    );
    let bob = allowed_modes(
        &own(&g, acl_uri, r),
        r,
        &Agent::authenticated(BOB),
        &NoGroups,
    );
    assert_eq!(bob, ModeSet::CONTROL);
    assert!(bob.contains_all(required_modes("GET", true, true)));
    assert!(!bob.contains_all(required_modes("GET", false, true)));
}

// ---------- origin ----------

const ORIGIN_ACL: &str = "
<#app> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
    acl:origin <https://good.app/>; acl:accessTo </doc>; acl:mode acl:Read, acl:Write.
<#plain> a acl:Authorization; acl:agent <https://carol.example/#i>;
    acl:accessTo </doc>; acl:mode acl:Read.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo </doc>; acl:mode acl:Append.
";

#[test]
fn origin_restrictions() {
    let acl_uri = "https://pod.example/doc.acl";
    let doc = "https://pod.example/doc";
    let g = graph(ORIGIN_ACL, acl_uri);
    let acl = own(&g, acl_uri, doc);
    let rw = modes(&[Mode::Read, Mode::Write]);
    let public = ModeSet::APPEND;

    // Matching origin (case and trailing slash normalised).
    for origin in [
        "https://good.app",
        "https://GOOD.app:443",
        "https://good.app/",
    ] {
        let bob = Agent::authenticated(BOB).with_origin(origin, false);
        assert_eq!(
            allowed_modes(&acl, doc, &bob, &NoGroups),
            rw | public,
            "{origin}"
        );
    }
    // Another origin: only the public modes.
    for origin in [
        "https://evil.app",
        "http://good.app",
        "https://good.app:8443",
        "null",
    ] {
        let bob = Agent::authenticated(BOB).with_origin(origin, false);
        assert_eq!(
            allowed_modes(&acl, doc, &bob, &NoGroups),
            public,
            "{origin}"
        );
    }
    // No Origin header (not a browser): not origin-restricted.
    assert_eq!(
        allowed_modes(&acl, doc, &Agent::authenticated(BOB), &NoGroups),
        rw | public
    );
    // A trusted origin (the server's own, or an app the resident approved)
    // needs no grant of its own, but bob's authorization lists origins, so
    // it never applies from another one (finding 15 of issue 9).
    let bob = Agent::authenticated(BOB).with_origin("https://pod.example", true);
    assert_eq!(allowed_modes(&acl, doc, &bob, &NoGroups), public);

    // Carol's authorization lists no origin: fine without Origin or from a
    // trusted origin, but an untrusted browser app gets only public modes.
    let carol = Agent::authenticated(CAROL);
    assert_eq!(
        allowed_modes(&acl, doc, &carol, &NoGroups),
        ModeSet::READ | public
    );
    let trusted = carol.with_origin("https://pod.example", true);
    assert_eq!(
        allowed_modes(&acl, doc, &trusted, &NoGroups),
        ModeSet::READ | public
    );
    let untrusted = carol.with_origin("https://good.app", false);
    assert_eq!(allowed_modes(&acl, doc, &untrusted, &NoGroups), public);

    let p = permissions(
        &acl,
        doc,
        &Agent::authenticated(BOB).with_origin("https://good.app", false),
        &NoGroups,
    );
    assert_eq!(
        p,
        Permissions {
            user: rw | public,
            public
        }
    );
    assert_eq!(
        p.wac_allow_header(),
        r#"user="read write append",public="append""#
    );
}

#[test]
fn origin_granted_separately_from_agent() {
    // WAC: the mode must be allowed for the agent and for the origin; they
    // may come from different authorizations.
    let acl_uri = "https://pod.example/doc.acl";
    let doc = "https://pod.example/doc";
    let g = graph(
        "<#agent> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
            acl:accessTo </doc>; acl:mode acl:Read, acl:Write.
         <#app> a acl:Authorization; acl:origin <https://good.app>;
            acl:accessTo </doc>; acl:mode acl:Read.",
        acl_uri,
    );
    let acl = own(&g, acl_uri, doc);
    let bob = Agent::authenticated(BOB).with_origin("https://good.app", false);
    assert_eq!(allowed_modes(&acl, doc, &bob, &NoGroups), ModeSet::READ);
    // The origin alone grants nothing to someone the ACL does not name.
    let anon = Agent::anonymous().with_origin("https://good.app", false);
    assert!(allowed_modes(&acl, doc, &anon, &NoGroups).is_empty());
    let carol = Agent::authenticated(CAROL).with_origin("https://good.app", false);
    assert!(allowed_modes(&acl, doc, &carol, &NoGroups).is_empty());
    // Without Origin, acl:origin-only authorizations grant nothing either.
    assert!(allowed_modes(&acl, doc, &Agent::anonymous(), &NoGroups).is_empty());
}

#[test]
fn public_with_origin_list_is_restricted_to_it() {
    let acl_uri = "https://pod.example/doc.acl";
    let doc = "https://pod.example/doc";
    let g = graph(
        "<#p> a acl:Authorization; acl:agentClass foaf:Agent; acl:origin <https://good.app>;
            acl:accessTo </doc>; acl:mode acl:Read.",
        acl_uri,
    );
    let acl = own(&g, acl_uri, doc);
    let at = |o| Agent::anonymous().with_origin(o, false);
    assert_eq!(
        allowed_modes(&acl, doc, &at("https://good.app"), &NoGroups),
        ModeSet::READ
    );
    assert!(allowed_modes(&acl, doc, &at("https://evil.app"), &NoGroups).is_empty());
    assert_eq!(
        allowed_modes(&acl, doc, &Agent::anonymous(), &NoGroups),
        ModeSet::READ
    );
}

// ---------- malformed ACLs ----------

#[test]
fn strange_acls_grant_nothing_wrong() {
    let acl_uri = "https://pod.example/doc.acl";
    let doc = "https://pod.example/doc";
    let g = graph(
        r#"
        # Missing rdf:type acl:Authorization.
        <#untyped> acl:agentClass foaf:Agent; acl:accessTo </doc>; acl:mode acl:Read.
        # Literal objects everywhere.
        <#literals> a acl:Authorization; acl:agent "https://bob.example/profile/card#me";
            acl:agentClass "http://xmlns.com/foaf/0.1/Agent";
            acl:accessTo "https://pod.example/doc"; acl:mode "http://www.w3.org/ns/auth/acl#Read".
        <#literal-mode> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo </doc>;
            acl:mode "Write", acl:Access, acl:Delete, <http://example.org/Everything>.
        # Type given as a literal.
        <#lit-type> a "http://www.w3.org/ns/auth/acl#Authorization";
            acl:agentClass foaf:Agent; acl:accessTo </doc>; acl:mode acl:Write.
        # No subject (agent) at all.
        <#nobody> a acl:Authorization; acl:accessTo </doc>; acl:mode acl:Control.
        # No access object.
        <#nowhere> a acl:Authorization; acl:agentClass foaf:Agent; acl:mode acl:Control.
        # Unknown agent class.
        <#robots> a acl:Authorization; acl:agentClass <http://example.org/Robot>;
            acl:accessTo </doc>; acl:mode acl:Write.
        # Blank-node authorization with an unknown mode alongside a real one.
        [] a acl:Authorization; acl:agent <https://bob.example/profile/card#me>;
            acl:accessTo </doc>; acl:mode <http://example.org/Fly>, acl:Read.
        # acl:origin as a literal restricts but never matches.
        <#lit-origin> a acl:Authorization; acl:agent <https://carol.example/#i>;
            acl:origin "https://good.app"; acl:accessTo </doc>; acl:mode acl:Write.
        "#,
        acl_uri,
    );
    let acl = own(&g, acl_uri, doc);
    for agent in [
        Agent::anonymous(),
        Agent::authenticated("https://x.example/#me"),
    ] {
        assert!(
            allowed_modes(&acl, doc, &agent, &NoGroups).is_empty(),
            "{agent:?}"
        );
    }
    // Only the blank-node authorization's known mode counts.
    assert_eq!(
        allowed_modes(&acl, doc, &Agent::authenticated(BOB), &NoGroups),
        ModeSet::READ
    );
    // Carol: fine without Origin; from a browser app nothing.
    let carol = Agent::authenticated(CAROL);
    assert_eq!(allowed_modes(&acl, doc, &carol, &NoGroups), ModeSet::WRITE);
    let carol_app = carol.with_origin("https://good.app", false);
    assert!(allowed_modes(&acl, doc, &carol_app, &NoGroups).is_empty());
    assert!(referenced_groups(&g).is_empty());
}

#[test]
fn empty_and_odd_inputs_never_panic() {
    let empty = Graph::new();
    let weird = ["", "/", "relative", "https://pod.example/", "urn:x"];
    for subject in weird {
        for target in weird {
            for inh in [false, true] {
                let acl = EffectiveAcl {
                    graph: &empty,
                    acl_uri: "",
                    subject_uri: subject,
                    inherited: inh,
                };
                let agent = Agent {
                    webid: Some(""),
                    origin: Some("::::"),
                    origin_trusted: false,
                    client_id: Some(""),
                };
                assert!(allowed_modes(&acl, target, &agent, &NoGroups).is_empty());
                assert_eq!(
                    permissions(&acl, target, &agent, &NoGroups),
                    Permissions::default()
                );
            }
        }
    }
    assert_eq!(
        Permissions::default().wac_allow_header(),
        r#"user="",public="""#
    );
}

// ---------- request modes ----------

#[test]
fn request_modes() {
    assert_eq!(required_modes("GET", false, true), ModeSet::READ);
    assert_eq!(required_modes("head", false, true), ModeSet::READ);
    assert_eq!(required_modes("OPTIONS", false, false), ModeSet::READ);
    assert_eq!(required_modes("PUT", false, true), ModeSet::WRITE);
    assert_eq!(required_modes("PUT", false, false), ModeSet::WRITE);
    assert_eq!(required_modes("POST", false, true), ModeSet::APPEND);
    assert_eq!(required_modes("DELETE", false, true), ModeSet::WRITE);
    assert_eq!(required_modes("PATCH", false, true), ModeSet::WRITE);
    assert_eq!(required_modes("BREW", false, true), ModeSet::ALL);
    for m in ["GET", "PUT", "DELETE", "PATCH", "POST"] {
        assert_eq!(required_modes(m, true, true), ModeSet::CONTROL);
        assert_eq!(parent_modes(m, true, false), ModeSet::EMPTY);
    }
    assert_eq!(parent_modes("PUT", false, false), ModeSet::APPEND);
    assert_eq!(parent_modes("PATCH", false, false), ModeSet::APPEND);
    assert_eq!(parent_modes("PUT", false, true), ModeSet::EMPTY);
    assert_eq!(parent_modes("DELETE", false, true), ModeSet::WRITE);
    assert_eq!(parent_modes("GET", false, true), ModeSet::EMPTY);
    assert_eq!(parent_modes("POST", false, true), ModeSet::EMPTY);
    assert_eq!(parent_modes_for_create(), ModeSet::APPEND);
}
