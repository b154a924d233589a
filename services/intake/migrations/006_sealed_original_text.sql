-- A report's title, description or address as written, where phone or ID-card numbers were masked in it before it
-- left intake (services/intake/masking.py): sealed with the contact keys beside the reporter's contact, for the
-- operator. A report may now have a row here without a name or a phone.
alter table reporter_contacts add column text_sealed bytea;
