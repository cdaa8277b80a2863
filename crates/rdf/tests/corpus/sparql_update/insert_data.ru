PREFIX foaf: <http://xmlns.com/foaf/0.1/>
INSERT DATA { <#dave> foaf:name "Dave" ; foaf:knows _:b . _:b foaf:name "B" }