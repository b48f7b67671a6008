-- People apply to volunteer online with a photo of their certificate; an admin approves. The
-- photo is personal data: dispatch and admin roles only, never /api/photos.
ALTER TABLE rc.volunteer ADD COLUMN certificate_photo_id integer
    REFERENCES rc.photo (id) ON DELETE SET NULL;
COMMENT ON COLUMN rc.volunteer.certificate_photo_id IS
    'The applicant''s photo of their first-aid certificate (stripped of metadata); personal data';
