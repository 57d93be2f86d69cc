DROP INDEX articles_unusable_idx;
