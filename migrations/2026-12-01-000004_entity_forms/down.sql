DROP INDEX entities_aliases_idx;
DROP INDEX entities_name_idx;
