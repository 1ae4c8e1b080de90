-- +goose Up
-- Card numbers: a prefix, counter digits and a Luhn check digit
-- (internal/cardnumber). One counter row per prefix rather than a sequence:
-- a sequence leaves a gap for every rolled-back transaction, while the row's
-- lock makes a rolled-back allocation's number the next one taken, so the
-- numbers issued stay contiguous.
CREATE TABLE card_number_ranges (
    prefix text PRIMARY KEY
        CONSTRAINT card_number_ranges_prefix_check CHECK (prefix ~ '^[A-Z]{0,8}$'),
    next   bigint NOT NULL CONSTRAINT card_number_ranges_next_check CHECK (next >= 1)
);

-- Set once, when the card is first produced; unique, so that no number is
-- ever on two cards whatever the code does.
ALTER TABLE cards ADD COLUMN card_number text
    CONSTRAINT cards_card_number_unique UNIQUE;

-- The Luhn check digit of a string of digits, the same as
-- cardnumber.Luhn in Go (a test compares the two).
-- +goose StatementBegin
CREATE FUNCTION card_number_luhn(digits text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    total  integer := 0;
    d      integer;
    double boolean := true;
BEGIN
    IF digits !~ '^[0-9]*$' THEN
        RAISE EXCEPTION 'card_number_luhn: % holds more than digits', digits;
    END IF;
    FOR i IN REVERSE length(digits)..1 LOOP
        d := substr(digits, i, 1)::integer;
        IF double THEN
            d := d * 2;
            IF d > 9 THEN
                d := d - 9;
            END IF;
        END IF;
        total := total + d;
        double := NOT double;
    END LOOP;
    RETURN ((10 - total % 10) % 10)::text;
END;
$$;
-- +goose StatementEnd

-- Takes the next number of a prefix's range (creating the range on first
-- use) and returns it formatted: prefix, counter zero-padded to width digits,
-- check digit. Call it only where the number is stored in the same
-- statement, as COALESCE(card_number, next_card_number(...)): COALESCE does
-- not evaluate it for a card that has its number, so a retried or repeated
-- production takes no second one.
-- +goose StatementBegin
CREATE FUNCTION next_card_number(number_prefix text, width integer DEFAULT 9) RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n      bigint;
    digits text;
BEGIN
    IF width IS NULL OR width < 1 OR width > 18 THEN
        RAISE EXCEPTION 'card number width %: want 1 to 18 digits', width;
    END IF;
    INSERT INTO card_number_ranges AS r (prefix, next) VALUES (number_prefix, 2)
        ON CONFLICT (prefix) DO UPDATE SET next = r.next + 1
        RETURNING r.next - 1 INTO n;
    digits := n::text;
    IF length(digits) > width THEN
        RAISE EXCEPTION 'card number range % is exhausted: counter % does not fit % digits', number_prefix, n, width;
    END IF;
    digits := lpad(digits, width, '0');
    RETURN number_prefix || digits || card_number_luhn(digits);
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION next_card_number(text, integer);
DROP FUNCTION card_number_luhn(text);
ALTER TABLE cards DROP COLUMN card_number;
DROP TABLE card_number_ranges;
