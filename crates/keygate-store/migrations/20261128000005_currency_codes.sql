-- Currencies are 2 to 10 upper-case letters or digits (USDT, MATIC, BTC), not only ISO 4217's three
-- letters: the key limits' currency columns follow the domain's `Currency`.

ALTER TABLE keys
    DROP CONSTRAINT keys_currency_shape,
    DROP CONSTRAINT keys_pending_currency_shape,
    ADD CONSTRAINT keys_currency_shape CHECK (currency ~ '^[A-Z0-9]{2,10}$'),
    ADD CONSTRAINT keys_pending_currency_shape CHECK (pending_currency ~ '^[A-Z0-9]{2,10}$');
COMMENT ON CONSTRAINT keys_currency_shape ON keys IS 'A currency code: 2 to 10 upper-case letters or digits.';
COMMENT ON CONSTRAINT keys_pending_currency_shape ON keys IS 'As keys_currency_shape, for a pending change.';
