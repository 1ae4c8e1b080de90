-- CFSSL's certificate store (certdb) for the compose stack's CA, applied by
-- the ca-certdb one-shot on every start (idempotent), as the database's
-- owner: the Up parts of CFSSL v1.6.5's certdb/pg/migrations 001 and 002,
-- and a trigger that makes a permanent revocation final. The statements are
-- those of internal/cadev/certdb.sql, which the local CA and the tests use
-- (deploy's tests check that the two agree).

CREATE TABLE IF NOT EXISTS certificates (
  serial_number            bytea NOT NULL,
  authority_key_identifier bytea NOT NULL,
  ca_label                 bytea,
  status                   bytea NOT NULL,
  reason                   int,
  expiry                   timestamptz,
  revoked_at               timestamptz,
  pem                      bytea NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier)
);

CREATE TABLE IF NOT EXISTS ocsp_responses (
  serial_number            bytea NOT NULL,
  authority_key_identifier bytea NOT NULL,
  body                     bytea NOT NULL,
  expiry                   timestamptz,
  PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier) REFERENCES certificates(serial_number, authority_key_identifier)
);

ALTER TABLE certificates
  ADD COLUMN IF NOT EXISTS issued_at timestamptz,
  ADD COLUMN IF NOT EXISTS not_before timestamptz,
  ADD COLUMN IF NOT EXISTS metadata jsonb,
  ADD COLUMN IF NOT EXISTS sans jsonb,
  ADD COLUMN IF NOT EXISTS common_name TEXT;

-- CFSSL's revoke overwrites status and reason whatever they were: without
-- this, a hold after a lock would turn a permanent revocation into one that
-- can be released. A hold repeated keeps its first revoked_at.
CREATE OR REPLACE FUNCTION certificates_revocation_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'revoked'::bytea AND NEW.reason = 8 THEN
    RAISE EXCEPTION 'removeFromCRL is not a revocation; release a hold instead' USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status = 'revoked'::bytea AND OLD.reason <> 6 THEN
    IF NEW.status = OLD.status AND NEW.reason = OLD.reason THEN NEW.revoked_at := OLD.revoked_at; RETURN NEW; END IF;
    RAISE EXCEPTION 'certificate % is permanently revoked (reason %)', convert_from(OLD.serial_number, 'UTF8'), OLD.reason USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status = 'revoked'::bytea AND NEW.status = OLD.status AND NEW.reason = 6 THEN NEW.revoked_at := OLD.revoked_at; END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS certificates_revocation_is_final ON certificates;
CREATE TRIGGER certificates_revocation_is_final BEFORE UPDATE ON certificates
  FOR EACH ROW EXECUTE FUNCTION certificates_revocation_is_final();
