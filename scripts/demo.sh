#!/bin/sh
# make demo: a whole day of Kith, end to end, with the built CLI, in a
# throwaway folder. Argument: path to the kith binary.
# The passphrases below are demo-only values written to temporary files.
set -eu
KITH="$1"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kith-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

say() { printf '\n== %s\n' "$*"; }
for who in ana robin alex kai; do printf 'demo passphrase for %s\n' "$who" > "$who.pass"; done
export KITH_VAULT="$WORK/network.kith"
# Each person's remembered checkpoints stay in the demo folder.
export KITH_STATE_DIR="$WORK/state"
# Unlock agents listen in the demo folder (and stop when their keyfile is removed with it).
export KITH_AGENT_DIR="$WORK/agent"
as() { who="$1"; shift; "$KITH" "$@" --identity "$WORK/$who.kithid" --passphrase-file "$WORK/$who.pass"; }

say "kith $("$KITH" --version | cut -d' ' -f2-) self-check"
"$KITH" selftest

say "Ana founds the vault (the interactive profile keeps the demo quick)"
FP=$(as ana init --handle ana --kdf interactive --json | sed -n 's/.*"fingerprint" : "\([0-9A-Z-]*\)".*/\1/p')
echo "Vault fingerprint: $FP (Ana reads this to everyone she invites)"

say "Robin (a group lead), Alex (a case worker) and Kai (an auditor) each make an identity and a request on their own machine"
for who in robin alex kai; do
    as "$who" enroll request --handle "$who" --out "$who.request" --kdf interactive --vault-fingerprint "$FP" | sed 's/^/  /'
done

say "Ana compares each key fingerprint with what the person reads out, then approves"
as ana enroll approve robin.request --role user --yes
as ana enroll approve alex.request --role user --yes
as ana enroll approve kai.request --role auditor --yes
as ana enroll list
echo "  Kai looks at the log once, before case work starts: that makes the audit key every later writer shares details with"
as kai audit log >/dev/null 2>&1

say "Ana creates a group and appoints Robin as its lead; Robin brings in Alex"
as ana group create "Trans Support"
as ana share "Trans Support" --with robin --role lead
as robin share "Trans Support" --with alex --role caseworker

say "Alex records a member, with their HIV status in the sensitive compartment"
MEMBER=$(as alex record add --group "Trans Support" --kind member --field name="Sam Rivera" --field pronouns=they/them \
    --field phone="+44 7700 900123" --json | sed -n 's/.*"id" : "\([0-9a-f]*\)".*/\1/p')
echo "member record $MEMBER"
echo "  (Alex is a case worker: writing a sensitive field is refused)"
if as alex record update "$MEMBER" --field sensitive:hiv_status=positive 2>err.txt; then echo "unexpected success"; exit 1; fi
sed 's/^/  /' err.txt
as robin record update "$MEMBER" --field sensitive:hiv_status=positive

say "Sam now uses she/they: Alex updates it, and the sensitive field Alex may not read is kept exactly as Robin wrote it"
as alex record update "$MEMBER" --field pronouns=she/they | sed 's/^/  /'
as alex record history "$MEMBER" --diff | sed 's/^/  /'

say "Alex opens a case and writes notes"
CASE=$(as alex record add --group "Trans Support" --kind case --member "$MEMBER" --field need="emergency housing" --json \
    | sed -n 's/.*"id" : "\([0-9a-f]*\)".*/\1/p')
as alex note add "$CASE" --text "Called the shelter; a bed is free from Monday." >/dev/null
as robin note add "$CASE" --text "Approved the travel grant for Monday." >/dev/null

say "Alex unlocks once for the evening; the next notes ask for nothing"
as alex unlock --for 30m
"$KITH" note add "$CASE" --text "Sam confirmed Monday by text." --identity "$WORK/alex.kithid" >/dev/null
"$KITH" note add "$CASE" --text "Booked the travel for 9am." --identity "$WORK/alex.kithid" >/dev/null
"$KITH" status --identity "$WORK/alex.kithid" | sed 's/^/  /'
"$KITH" lock --identity "$WORK/alex.kithid"

say "Alex attaches the shelter's letter (sealed in chunks as it is read; never whole in memory)"
printf 'Dear Sam,\nA bed is reserved for you from Monday.\n' > letter.txt
LETTER=$(as alex attach add "$CASE" letter.txt --name "shelter letter.txt" --json | sed -n 's/.*"id" : "\([0-9a-f]*\)".*/\1/p')
rm letter.txt
as robin attach list "$CASE"

say "Alex reads everything back"
as alex record show "$MEMBER"
as alex note list "$CASE"
as alex attach get "$LETTER" --out letter-copy.txt
sed 's/^/  /' letter-copy.txt
rm letter-copy.txt

say "Robin brings in the group's old spreadsheet: a dry run first, then all rows in one transaction"
cat > members.csv <<'CSV'
Full name,pronouns,phone,hiv_status
"Okafor, Dee",she/her,7700 900456,
Jun Park,they/them,,negative
Lee Morgan,he/him,7700 900789,
CSV
as robin import members.csv --group "Trans Support" --kind member --map "Full name=name" --compartment hiv_status=sensitive --dry-run | sed 's/^/  /'
as robin import members.csv --group "Trans Support" --kind member --map "Full name=name" --compartment hiv_status=sensitive | sed 's/^/  /'
echo "  The same sheet again, by mistake: --skip-duplicates finds everyone already there"
as robin import members.csv --group "Trans Support" --kind member --map "Full name=name" --compartment hiv_status=sensitive --skip-duplicates \
    | sed 's/^/  /'
rm members.csv

say "An evening later, Alex looks for Sam and for Dee, as people type: a first name, a surname without its comma, a phone in another form"
as alex find --group "Trans Support" sam 2>&1 | sed 's/^/  /'
as alex find --group "Trans Support" okafor 2>&1 | sed 's/^/  /'
as alex find --group "Trans Support" "07700 900123" 2>&1 | sed 's/^/  /'
echo "  (the index lives in Alex's state folder only, sealed under Alex's identity; the searches are logged for auditors)"

say "Sam asks what the network holds about them: Robin exports Sam's whole file (every version, the case, its notes and letter, and the log about them; logged as an export)"
as robin export --group "Trans Support" --member "$MEMBER" --format json --out sam.json --reason "subject access request from Sam"
sed -n '/"records" : \[/,$p' sam.json | sed -n '1,30p' | sed 's/^/  /'
echo "  ... and, under \"log\", $(grep -c '"summary"' sam.json) log entries about Sam's file: who wrote and read what, and when"
rm sam.json

say "Kai, the auditor, tries to read the member record"
if as kai record show "$MEMBER" 2>err.txt; then echo "unexpected success"; exit 1; else code=$?; fi
sed 's/^/  /' err.txt
echo "  exit code $code: auditors verify the log, they never read records"

say "Robin shows the group's policy: which role reads and writes which compartment"
as robin policy show "Trans Support"

say "Alex leaves the project and their laptop is not returned: Robin revokes Alex and re-encrypts every record"
as robin revoke "Trans Support" --from alex --reencrypt
if as alex record show "$MEMBER" 2>err.txt; then echo "unexpected success"; exit 1; fi
sed 's/^/  /' err.txt
echo "  Robin still reads everything:"
as robin record show "$MEMBER" | sed 's/^/  /'
as robin attach get "$LETTER" --out letter-robin.txt | sed 's/^/  /'
rm letter-robin.txt

say "Ana removes Alex from the vault too: no name, record or audit detail written from now on reaches that laptop"
as ana user remove alex --yes | sed 's/^/  /'
if as alex group list 2>err.txt; then echo "unexpected success"; exit 1; fi
sed 's/^/  /' err.txt

say "Sam asks to be forgotten: Robin erases Sam's record with the case about them, its notes and the letter"
as robin record erase "$MEMBER" --with-linked --reason "erasure request from Sam" --yes
if as robin record show "$MEMBER" 2>err.txt; then echo "unexpected success"; exit 1; fi
sed 's/^/  /' err.txt
echo "  The log still says who wrote and read what, and when; the content is gone from the store:"
as robin record history "$MEMBER" | sed 's/^/  /'

say "Kai audits: every signature, the hash chain, every right, the newest checkpoint"
"$KITH" audit verify
echo "  Who touched Sam's record, and why (the details each writer sealed for auditors, opened):"
as kai audit log --record "$MEMBER" 2>/dev/null | sed 's/^/  /'

say "Kai witnesses the newest checkpoint, keeps a copy, and proves one entry to an outsider"
as kai audit witness
"$KITH" audit checkpoint --out today.checkpoint
"$KITH" audit keys > vault.vkeys
"$KITH" audit prove --entry 5 > entry-5.tlog-proof
echo "  The outsider needs no vault and no identity, only the proof and the keys Kai handed over:"
env -u KITH_VAULT "$KITH" audit verify-proof entry-5.tlog-proof --keys vault.vkeys | sed 's/^/  /'

say "What a thief who copies the vault file would find"
for secret in "Sam Rivera" "they/them" "7700 900123" "emergency housing" "shelter" "Trans Support" "robin" "hiv_status" "Okafor" "Jun Park"; do
    if cat network.kith network.kith-wal 2>/dev/null | grep -a -q -F "$secret"; then echo "  FOUND $secret in the clear"; exit 1; fi
    echo "  '$secret': not in the file"
done

say "What happened, in plain words"
cat <<TXT
  Ana founded the vault; people check they joined it by its fingerprint $FP.
  Robin, Alex and Kai made their own keys; only public keys reached Ana.
  Ana enrolled them, created "Trans Support" and made Robin its lead, without ever holding the group's keys.
  Robin shared the group with Alex as a case worker: the profile and notes keys were sealed to Alex.
  Alex wrote a member record and a case about Sam with notes; Robin added the sensitive field a case worker may not write,
  and Alex's later edit of Sam's pronouns kept that field exactly as it was, unread.
  Robin imported a spreadsheet of three members in one transaction, exported Sam's whole file for a subject access request,
  and, when Sam asked to be forgotten, erased it: one signed entry, and every stored byte of it gone in the same transaction.
  Every write and every read is a signed entry in the vault's log. Kai cannot read records: no group role, no keys.
  When Alex left, Robin removed Alex's role and re-encrypted every record under new keys Alex never received; Ana then removed Alex from the vault, so no later name or record reaches them.
  Kai checked the whole log, read who did what and why, cosigned the newest checkpoint, and proved an entry to an outsider.
TXT
