-- What the worker's CA adapter may do in the certificate store, applied by
-- the ca-certdb one-shot after certdb.sql, as the tables' owner. CFSSL
-- cannot take a certificate off hold, so the adapter does it in the store
-- (status, reason, revoked_at; the finality trigger still guards it), and
-- stores the OCSP responses it has CFSSL sign, which `cfssl ocspserve`
-- serves. Nothing else: no new certificates, no deletes.
GRANT SELECT ON certificates TO cardflow_app;
GRANT UPDATE (status, reason, revoked_at) ON certificates TO cardflow_app;
GRANT SELECT, INSERT, UPDATE ON ocsp_responses TO cardflow_app;
