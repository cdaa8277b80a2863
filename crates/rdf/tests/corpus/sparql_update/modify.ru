PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DELETE { ?s foaf:name ?n } INSERT { ?s foaf:nick ?n ; <#new> _:x } WHERE { ?s a foaf:Person . ?s foaf:name ?n }