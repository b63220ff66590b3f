-- Suspension: a key stopped at once by one person (state 'suspended'), with who stopped it and why,
-- and a resume asked by a maker that waits for a checker who neither asked it nor suspended the key.
-- A suspended key may still carry a revocation request (revocation_* columns), approved or rejected
-- as from 'revocation_pending'.

ALTER TABLE keys
    DROP CONSTRAINT keys_state_known,
    ADD CONSTRAINT keys_state_known CHECK (
        state IN ('pending_approval', 'active', 'rejected', 'revocation_pending', 'revoked', 'suspended')
    ),
    ADD COLUMN suspended_by          text NULL,
    ADD COLUMN suspended_for         text NULL,
    ADD COLUMN suspension_reason     text NULL,
    ADD COLUMN suspended_at          timestamptz NULL,
    ADD COLUMN resume_requested_by   text NULL,
    ADD COLUMN resume_requested_for  text NULL,
    ADD COLUMN resume_reason         text NULL,
    ADD COLUMN resume_requested_at   timestamptz NULL,
    ADD CONSTRAINT keys_suspension_whole CHECK (
        (suspended_by IS NULL) = (suspended_for IS NULL)
        AND (suspended_by IS NULL) = (suspension_reason IS NULL)
        AND (suspended_by IS NULL) = (suspended_at IS NULL)
    ),
    ADD CONSTRAINT keys_suspended_exactly_while_suspended CHECK ((state = 'suspended') = (suspended_by IS NOT NULL)),
    ADD CONSTRAINT keys_resume_whole CHECK (
        (resume_requested_by IS NULL) = (resume_requested_for IS NULL)
        AND (resume_requested_by IS NULL) = (resume_reason IS NULL)
        AND (resume_requested_by IS NULL) = (resume_requested_at IS NULL)
        AND (resume_requested_by IS NULL OR suspended_by IS NOT NULL)
    ),
    ADD CONSTRAINT keys_suspension_reason_length CHECK (char_length(suspension_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT keys_resume_reason_length CHECK (char_length(resume_reason) BETWEEN 1 AND 500);

COMMENT ON CONSTRAINT keys_state_known ON keys IS 'Every element of KeyState, suspended included.';
COMMENT ON COLUMN keys.suspended_by IS 'Who suspended the key (an actor id); set exactly while it is suspended.';
COMMENT ON COLUMN keys.suspended_for IS 'The person behind suspended_by: may not approve the resume.';
COMMENT ON COLUMN keys.resume_requested_by IS 'A resume asked by a maker, waiting for a third person.';
COMMENT ON CONSTRAINT keys_suspension_whole ON keys IS 'A suspension is all four fields or none.';
COMMENT ON CONSTRAINT keys_suspended_exactly_while_suspended ON keys IS
    'The suspension fields are set exactly when the state is suspended.';
COMMENT ON CONSTRAINT keys_resume_whole ON keys IS 'A resume request is all four fields or none, and only on a suspension.';
COMMENT ON CONSTRAINT keys_suspension_reason_length ON keys IS 'Reason::parse: 1 to 500 characters.';
COMMENT ON CONSTRAINT keys_resume_reason_length ON keys IS 'Reason::parse: 1 to 500 characters.';
