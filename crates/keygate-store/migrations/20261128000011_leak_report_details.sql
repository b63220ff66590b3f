-- What a leak report said besides the url, kept with its row for operators who query the table (the
-- key.leaked audit entry holds the same): the kind of place the scanner found the token in (GitHub's
-- `source`: content, commit, ...) and the token type it matched. Neither is the token: leak_reports
-- never holds one.

ALTER TABLE leak_reports
    ADD COLUMN source text NOT NULL DEFAULT '',
    ADD COLUMN token_type text NOT NULL DEFAULT '',
    ADD CONSTRAINT leak_reports_source_length CHECK (octet_length(source) <= 256),
    ADD CONSTRAINT leak_reports_token_type_length CHECK (octet_length(token_type) <= 256);
ALTER TABLE leak_reports ALTER COLUMN source DROP DEFAULT, ALTER COLUMN token_type DROP DEFAULT;

COMMENT ON COLUMN leak_reports.source IS 'Where the scanner found the token, as it said (empty if it said nothing).';
COMMENT ON COLUMN leak_reports.token_type IS 'The token type the scanner matched, as it said (empty if it said nothing).';
COMMENT ON CONSTRAINT leak_reports_source_length ON leak_reports IS 'LeakRecord::source: at most 256 bytes.';
COMMENT ON CONSTRAINT leak_reports_token_type_length ON leak_reports IS 'LeakRecord::token_type: at most 256 bytes.';
