PREFIX foaf: <http://xmlns.com/foaf/0.1/>
INSERT DATA { <#bob> foaf:name "Bob" }
