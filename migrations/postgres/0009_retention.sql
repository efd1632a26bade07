-- The retention job finds due contact data and old audit entries by age.
CREATE INDEX ideas_with_contact ON ideas (updated_at)
    WHERE contact_name IS NOT NULL OR contact_email IS NOT NULL OR contact_phone IS NOT NULL;
CREATE INDEX partner_reads_by_age ON partner_reads (at);
