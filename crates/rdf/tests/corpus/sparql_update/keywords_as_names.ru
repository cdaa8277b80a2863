PREFIX filter: <http://example.org/filter#>
INSERT DATA { filter:graph filter:union "FILTER" , filter:a.b }