//! The built-in category tree: a small French tree whose ids are paths
//! (`logement/energie/electricite`), parents included, each with its French
//! and English name. "Non catégorisé" is not a category: it is the absence
//! of one. A rule may point at a parent (`logement/energie`) when it cannot
//! say more; the resident then refines it.

use selfdata_sources::Lang;

/// One category of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Its path from the root, `/`-separated: `logement/energie/electricite`.
    pub id: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
}

impl Category {
    /// The category's name in `lang`.
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => self.fr,
            Lang::En => self.en,
        }
    }

    /// The id of its parent, `None` at the top.
    pub fn parent(&self) -> Option<&'static str> {
        self.id.rsplit_once('/').map(|(p, _)| p)
    }

    /// Whether no other category sits under it.
    pub fn is_leaf(&self) -> bool {
        !TREE.iter().any(|c| c.parent() == Some(self.id))
    }
}

const fn c(id: &'static str, fr: &'static str, en: &'static str) -> Category {
    Category { id, fr, en }
}

/// Parents before their children, in the order pages list them.
static TREE: [Category; 36] = [
    c("logement", "Logement", "Housing"),
    c("logement/loyer", "Loyer", "Rent"),
    c("logement/pret-immobilier", "Prêt immobilier", "Mortgage"),
    c("logement/energie", "Énergie", "Energy"),
    c("logement/energie/electricite", "Électricité", "Electricity"),
    c("logement/energie/gaz", "Gaz", "Gas"),
    c("logement/eau", "Eau", "Water"),
    c(
        "logement/assurance-habitation",
        "Assurance habitation",
        "Home insurance",
    ),
    c(
        "logement/internet-telephone",
        "Internet et téléphone",
        "Internet and phone",
    ),
    c("logement/impots-locaux", "Impôts locaux", "Local taxes"),
    c(
        "logement/charges-travaux",
        "Charges et travaux",
        "Service charges and repairs",
    ),
    c("alimentation", "Alimentation", "Food"),
    c("alimentation/courses", "Courses", "Groceries"),
    c("alimentation/restaurants", "Restaurants", "Eating out"),
    c("transport", "Transport", "Transport"),
    c("transport/carburant", "Carburant", "Fuel"),
    c(
        "transport/transports-en-commun",
        "Transports en commun",
        "Public transport",
    ),
    c("transport/voiture", "Voiture", "Car"),
    c("sante", "Santé", "Health"),
    c("sante/soins", "Soins", "Care"),
    c("sante/mutuelle", "Mutuelle", "Health insurance"),
    c(
        "sante/remboursements-sante",
        "Remboursements santé",
        "Health reimbursements",
    ),
    c("loisirs", "Loisirs", "Leisure"),
    c(
        "loisirs/abonnements-numeriques",
        "Abonnements numériques",
        "Digital subscriptions",
    ),
    c(
        "loisirs/sorties-voyages",
        "Sorties et voyages",
        "Outings and travel",
    ),
    c("achats", "Achats", "Shopping"),
    c("banque", "Banque", "Bank"),
    c("banque/frais-bancaires", "Frais bancaires", "Bank charges"),
    c("impots", "Impôts", "Taxes"),
    c("impots/impot-revenu", "Impôt sur le revenu", "Income tax"),
    c("revenus", "Revenus", "Income"),
    c("revenus/salaire", "Salaire", "Salary"),
    c(
        "revenus/prestations-sociales",
        "Prestations sociales",
        "Benefits",
    ),
    c("revenus/autres-revenus", "Autres revenus", "Other income"),
    c("especes", "Espèces", "Cash"),
    c(
        "virements-internes",
        "Virements internes",
        "Transfers between your accounts",
    ),
];

/// Every category, parents before their children.
pub fn tree() -> &'static [Category] {
    &TREE
}

/// The category with this id.
pub fn find(id: &str) -> Option<&'static Category> {
    TREE.iter().find(|c| c.id == id)
}

/// Whether `id` is `parent` or lies under it (`is_under("logement/eau", "logement")`).
pub fn is_under(id: &str, parent: &str) -> bool {
    id == parent
        || id
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The tree as the pod's `categories.csv`: `id,parent,fr,en`.
pub fn tree_to_csv() -> Vec<u8> {
    let mut out = String::from("id,parent,fr,en\n");
    for c in &TREE {
        out.push_str(&format!(
            "{},{},{},{}\n",
            c.id,
            c.parent().unwrap_or(""),
            c.fr,
            c.en
        ));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parent_is_in_the_tree_before_its_children_and_ids_are_unique() {
        for (i, c) in TREE.iter().enumerate() {
            if let Some(p) = c.parent() {
                let at = TREE.iter().position(|x| x.id == p);
                assert!(at.is_some_and(|at| at < i), "{} before its parent", c.id);
            }
            assert_eq!(TREE.iter().filter(|x| x.id == c.id).count(), 1, "{}", c.id);
        }
        assert!(is_under("logement/energie/gaz", "logement"));
        assert!(!is_under("logementx/a", "logement"));
        assert!(find("logement/energie").is_some_and(|c| !c.is_leaf()));
    }
}
