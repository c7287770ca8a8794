-- A statement's own check of what it did: false fails the statement, and with it the transaction. The
-- platform path sends its writes and its COMMIT in one round trip, so a check the application would
-- otherwise make between the two has to fail the transaction inside the database instead.
CREATE FUNCTION inventory_assert(condition boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF condition IS NOT TRUE THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = 'internal_error';
    END IF;
    RETURN true;
END
$$;
