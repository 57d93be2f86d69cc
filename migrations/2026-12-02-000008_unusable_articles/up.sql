-- The few articles that are not served (withdrawn or withheld): what a count over a link table's
-- range subtracts, so that counting a topic's, an entity's or an author's articles reads the
-- link index alone, not every article row.
CREATE INDEX articles_unusable_idx ON articles (id) WHERE pub_status <> 'usable';
