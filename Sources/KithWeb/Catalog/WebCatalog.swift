import KithVault

/// Every word the web interface shows, in each language. A phrase is a
/// case; each language is one exhaustive switch, so a phrase missing in
/// Arabic does not compile. Arguments that come from the vault are
/// interpolated as content (isolated, neutralised, escaped); counts are
/// written as "label: n" in Arabic, which reads correctly for every number
/// without Arabic's six plural forms.
public enum Phrase: Sendable {
    case appName, skipToContent
    case navFind, navStatus, lock, lockHint, signedOutTitle
    case otherLanguage, otherLanguageCode
    // Finding.
    case findTitle, findLabel, findHint, findButton, findGroup, findAllGroups, findKind, findAnyKind
    case findLogged, findNoMatch, findTypeMore, findTooMany
    case findCount(shown: Int, total: Int), findMore(unchecked: Int)
    case findIndexed(records: Int, group: String)
    case columnRecord, columnGroup, columnKind, columnMatch, columnFields
    case rank(SearchRank), kind(RecordKind), compartment(Compartment), groupRole(GroupRole), orgRole(OrgRole)
    // A record.
    case recordTitle(RecordKind), recordVersion(Int), recordWrittenBy(author: String, time: String), recordGroup(String)
    case recordWithheld, recordWithheldHint, recordNoFields, recordAboutMember, recordCases, recordHistory
    case columnVersion, columnWhen, columnBy, columnCompartments, columnField, columnValue
    case recordOpenLogged
    case reasonTitle, reasonHint, reasonLabel, reasonButton
    // Status.
    case statusTitle, statusYou, statusRole, statusVault, statusFingerprint, statusFingerprintHint
    case statusGroups, statusNoGroups, statusLogSize, statusLocksAfter(minutes: Int)
    // Locked and refused.
    case lockedTitle, lockedBody, lockedAgain
    case notSignedInTitle, notSignedInBody
    case refusedTitle, refusedBody
    case notFoundPage
    case errorTitle(KithVaultError.Code), errorDetail, errorIntegrityAdvice
    case back
    // Writing.
    case edit, editTitle, saveChanges, editHint, addFieldsHint, fieldName, fieldValue, fieldCompartment, noChanges
    case navNew, newRecordTitle(RecordKind), createRecord, newCaseAboutMember, chooseGroup, newRecordHint, nothingToWrite
    case notesTitle, noNotes, addNoteLabel, addNoteHint, saveNote, noteBy(author: String, time: String)
    // A group, for its lead.
    case groupTitle(String), groupMembers, columnHandle, columnRole, shareTitle, shareHint, shareButton, handleLabel, roleLabel
    case revokeButton, revokeTitle(String), revokeModeLabel, revokeKeep, revokeRewrap, revokeReencrypt, revokeHint
    case shared(handle: String, role: GroupRole), revoked(handle: String), rekeyed(changed: Int, mode: RekeyMode), membersOnlyLeads
    // Checking the log.
    case navVerify, verifyTitle, verifyHint, verifyButton, verifyValid(entries: Int), verifyInvalid, verifyRoot, verifyNewest(size: Int, witnesses: Int)
    case verifyNoCheckpoint, verifyRecords(versions: Int), verifyResumed(from: Int)

    /// The phrase in `language`.
    public func html(_ language: WebLanguage) -> HTML {
        switch language {
        case .english: return english
        case .arabic: return arabic
        }
    }

    /// The phrase as plain text (for a title or an attribute: the caller escapes it).
    public func text(_ language: WebLanguage) -> String {
        // Phrases used as text carry no content, only Kith's words.
        var text = html(language).raw
        for tag in ["<bdi>", "</bdi>", "<bdi dir=\"ltr\">", "<code dir=\"ltr\">", "</code>"] { text = text.replacingOccurrences(of: tag, with: "") }
        return text
    }

    private var english: HTML {
        switch self {
        case .appName: return "Kith"
        case .skipToContent: return "Skip to the page"
        case .navFind: return "Find a person"
        case .navStatus: return "Status"
        case .lock: return "Lock"
        case .lockHint: return "Locks Kith on this computer: this page closes, and your kith commands ask for your passphrase again."
        case .signedOutTitle: return "Kith"
        case .otherLanguage: return "العربية"
        case .otherLanguageCode: return "ar"
        case .findTitle: return "Find a person"
        case .findLabel: return "Who are you looking for?"
        case .findHint: return "A name, phone or e-mail, in Arabic or Latin letters, with or without accents or tashkeel. \(command: "field=value") looks in one field only."
        case .findButton: return "Find"
        case .findGroup: return "Group"
        case .findAllGroups: return "All my groups"
        case .findKind: return "Kind"
        case .findAnyKind: return "Members and cases"
        case .findLogged: return "Every search is logged with what you typed, sealed so that only auditors can read it."
        case .findNoMatch: return "No record matches."
        case .findTypeMore: return "Type more of the name to narrow it down."
        case .findTooMany: return "More records came up than one search checks: type more of the name to see the rest."
        case .findCount(let shown, let total): return "\(shown) of \(total) matches shown."
        case .findMore(let unchecked): return "The closest are shown; up to \(unchecked) more records may match less closely."
        case .findIndexed(let records, let group):
            return "Indexed \(records) records of \(content: group) for search on this device (this is logged)."
        case .columnRecord: return "Record"
        case .columnGroup: return "Group"
        case .columnKind: return "Kind"
        case .columnMatch: return "Match"
        case .columnFields: return "Fields"
        case .rank(let rank):
            switch rank {
            case .whole: return "whole value"
            case .allWords: return "every word"
            case .prefix: return "word starts"
            case .typo: return "one typo"
            }
        case .kind(let kind):
            switch kind {
            case .member: return "member"
            case .case: return "case"
            case .note: return "note"
            case .attachment: return "attachment"
            }
        case .compartment(let compartment):
            switch compartment {
            case .profile: return "Profile"
            case .notes: return "Notes"
            case .sensitive: return "Sensitive"
            }
        case .groupRole(let role):
            switch role {
            case .lead: return "lead"
            case .caseworker: return "case worker"
            case .viewer: return "viewer"
            }
        case .orgRole(let role):
            switch role {
            case .admin: return "admin"
            case .auditor: return "auditor"
            case .user: return "user"
            }
        case .recordTitle(let kind):
            switch kind {
            case .member: return "Member record"
            case .case: return "Case"
            case .note: return "Case note"
            case .attachment: return "Attachment"
            }
        case .recordVersion(let version): return "Version \(version)"
        case .recordWrittenBy(let author, let time): return "Written by \(content: author), \(ltr: time)"
        case .recordGroup(let group): return "Group: \(content: group)"
        case .recordWithheld: return "Withheld"
        case .recordWithheldHint: return "Your role in this group may not read these parts of the record."
        case .recordNoFields: return "No field you may read."
        case .recordAboutMember: return "About member"
        case .recordCases: return "Cases about this member"
        case .recordHistory: return "History"
        case .columnVersion: return "Version"
        case .columnWhen: return "When"
        case .columnBy: return "By"
        case .columnCompartments: return "Parts changed"
        case .columnField: return "Field"
        case .columnValue: return "Value"
        case .recordOpenLogged: return "Opening this record was logged, like every read."
        case .reasonTitle: return "Why are you reading this?"
        case .reasonHint: return "This group asks for a reason before sensitive fields are opened. It is sealed with the read, so that only auditors can read it."
        case .reasonLabel: return "Reason (one line)"
        case .reasonButton: return "Open the record"
        case .statusTitle: return "Status"
        case .statusYou: return "You are"
        case .statusRole: return "Role in the vault"
        case .statusVault: return "Vault"
        case .statusFingerprint: return "Vault fingerprint"
        case .statusFingerprintHint: return "Compare it with the one your admin told you. If it differs, stop and tell them."
        case .statusGroups: return "Your groups"
        case .statusNoGroups: return "None yet: a group's lead adds you."
        case .statusLogSize: return "Log entries"
        case .statusLocksAfter(let minutes): return "Locks itself after \(minutes) minutes without use."
        case .lockedTitle: return "Kith is locked"
        case .lockedBody: return "Nothing from the vault is shown any more, and this browser's session has ended."
        case .lockedAgain: return "To use it again, in a terminal run \(command: "kith unlock"), then \(command: "kith serve"), and open the new address it prints."
        case .notSignedInTitle: return "Open Kith from its own address"
        case .notSignedInBody:
            return "This page opens only through the address that \(command: "kith serve") printed in your terminal, and only once. Run \(command: "kith serve") again for a new address."
        case .refusedTitle: return "Refused"
        case .refusedBody: return "This request did not come from Kith's own page, so nothing was done. Go back and try again from the page."
        case .notFoundPage: return "There is no such page."
        case .errorTitle(let code):
            switch code {
            case .notFound: return "Not found"
            case .accessDenied: return "Not allowed"
            case .invalidInput: return "That cannot be used"
            case .busy: return "The vault is busy: try again in a moment"
            case .integrity, .invalidEntry: return "The vault failed a check"
            case .wrongPassphrase: return "Wrong passphrase"
            case .storage, .crypto: return "Something went wrong"
            }
        case .errorDetail: return "What Kith says:"
        case .errorIntegrityAdvice: return "Do not trust what it shows. Tell an admin or an auditor; they can check the whole log."
        case .back: return "Back"
        case .edit: return "Edit"
        case .editTitle: return "Edit the record"
        case .saveChanges: return "Save a new version"
        case .editHint:
            return "Only the fields you change are written, as a new version; the others stay as they are, and parts you may not read are carried unchanged. Nothing is ever overwritten: the history keeps every version."
        case .addFieldsHint: return "Add a field: give its name and value."
        case .fieldName: return "Field"
        case .fieldValue: return "Value"
        case .fieldCompartment: return "Part"
        case .noChanges: return "Nothing was changed, so no new version was written."
        case .navNew: return "New record"
        case .newRecordTitle(let kind):
            switch kind {
            case .member: return "New member record"
            case .case: return "New case"
            case .note: return "New note"
            case .attachment: return "New attachment"
            }
        case .createRecord: return "Save the record"
        case .newCaseAboutMember: return "Open a case about this member"
        case .chooseGroup: return "Choose the group first."
        case .newRecordHint: return "Give at least one field. A member's name and contact fields can be found by search."
        case .nothingToWrite: return "Your role in this group may not add records."
        case .notesTitle: return "Case notes"
        case .noNotes: return "No notes yet."
        case .addNoteLabel: return "Add a note"
        case .addNoteHint: return "What you type here goes straight into the vault, sealed: never onto a command line or into a file."
        case .saveNote: return "Save the note"
        case .noteBy(let author, let time): return "\(content: author), \(ltr: time)"
        case .groupTitle(let name): return "Group \(content: name)"
        case .groupMembers: return "Members and roles"
        case .columnHandle: return "Person"
        case .columnRole: return "Role"
        case .shareTitle: return "Give someone a role"
        case .shareHint: return "They get the keys of every part their role may read, for existing records too. Check the handle: it is how the vault knows them."
        case .shareButton: return "Give the role"
        case .handleLabel: return "Handle"
        case .roleLabel: return "Role"
        case .revokeButton: return "Remove from the group"
        case .revokeTitle(let handle): return "Remove \(content: handle) from the group"
        case .revokeModeLabel: return "Records written before"
        case .revokeKeep: return "Leave them under their old keys (the person could read them already)"
        case .revokeRewrap: return "Rewrap their keys under the new keys, so old keys open nothing in the store (fast; when someone leaves)"
        case .revokeReencrypt: return "Re-encrypt them with fresh keys (slower; when a device or keyfile was lost or stolen)"
        case .revokeHint:
            return "Every part they could read gets new keys, sealed to the remaining members; everything written from now on uses them. If this stops half way, do it again: it finishes the job."
        case .shared(let handle, let role): return "\(content: handle) is now \(Phrase.groupRole(role).html(.english)) of this group."
        case .revoked(let handle): return "\(content: handle) no longer has a role in this group; new keys were sealed to the remaining members."
        case .rekeyed(let changed, let mode):
            return mode == .rewrap ? "Record keys rewrapped under the new keys: \(changed)." : "Record versions re-encrypted with fresh keys: \(changed)."
        case .membersOnlyLeads: return "Only the group's leads give and remove roles."
        case .navVerify: return "Check the log"
        case .verifyTitle: return "Check the log"
        case .verifyHint:
            return
                "Checks every log entry's signature, the hash chain, that each author had the right, the newest signed checkpoint, and every stored record against the log, without decrypting anything. It needs no keys; an auditor runs it often."
        case .verifyButton: return "Check now"
        case .verifyValid(let entries): return "Everything holds: all \(entries) log entries verify (signatures, hash chain and rights)."
        case .verifyInvalid: return "The check failed. Do not trust this vault until an auditor has looked at it."
        case .verifyRoot: return "Merkle root"
        case .verifyNewest(let size, let witnesses): return "The newest checkpoint covers \(size) entries, is signed, has \(witnesses) witness signatures, and matches."
        case .verifyNoCheckpoint: return "No checkpoint is stored yet (the vault gets one with its next write)."
        case .verifyRecords(let versions): return "Stored record versions checked against the log: \(versions)."
        case .verifyResumed(let from): return "The first \(from) entries still hash to the checkpoint verified before on this computer; only later signatures were checked again."
        }
    }

    private var arabic: HTML {
        switch self {
        case .appName: return "Kith"
        case .skipToContent: return "انتقل إلى محتوى الصفحة"
        case .navFind: return "البحث عن شخص"
        case .navStatus: return "الحالة"
        case .lock: return "قفل"
        case .lockHint: return "يقفل Kith على هذا الحاسوب: تُغلق هذه الصفحة، وتطلب أوامر kith عبارة المرور من جديد."
        case .signedOutTitle: return "Kith"
        case .otherLanguage: return "English"
        case .otherLanguageCode: return "en"
        case .findTitle: return "البحث عن شخص"
        case .findLabel: return "عمّن تبحث؟"
        case .findHint: return "اسم أو رقم هاتف أو بريد إلكتروني، بالحروف العربية أو اللاتينية، مع التشكيل أو بدونه. الصيغة \(command: "field=value") تبحث في حقل واحد فقط."
        case .findButton: return "ابحث"
        case .findGroup: return "المجموعة"
        case .findAllGroups: return "كل مجموعاتي"
        case .findKind: return "النوع"
        case .findAnyKind: return "الأعضاء والحالات"
        case .findLogged: return "يُسجَّل كل بحث مع ما كتبته، مختوماً بحيث لا يقرؤه إلا المدققون."
        case .findNoMatch: return "لا يوجد سجل مطابق."
        case .findTypeMore: return "اكتب المزيد من الاسم لتضييق البحث."
        case .findTooMany: return "ظهرت سجلات أكثر مما يفحصه بحث واحد: اكتب المزيد من الاسم لرؤية البقية."
        case .findCount(let shown, let total): return "النتائج المعروضة: \(shown) من \(total)."
        case .findMore(let unchecked): return "المعروض هو الأقرب؛ وقد تطابق سجلات أخرى بدرجة أقل، عددها حتى: \(unchecked)."
        case .findIndexed(let records, let group):
            return "فُهرست سجلات المجموعة \(content: group) للبحث على هذا الجهاز، عددها: \(records) (وهذا مسجَّل)."
        case .columnRecord: return "السجل"
        case .columnGroup: return "المجموعة"
        case .columnKind: return "النوع"
        case .columnMatch: return "التطابق"
        case .columnFields: return "الحقول"
        case .rank(let rank):
            switch rank {
            case .whole: return "القيمة كاملة"
            case .allWords: return "كل الكلمات"
            case .prefix: return "بدايات الكلمات"
            case .typo: return "خطأ إملائي واحد"
            }
        case .kind(let kind):
            switch kind {
            case .member: return "عضو"
            case .case: return "حالة"
            case .note: return "ملاحظة"
            case .attachment: return "مرفق"
            }
        case .compartment(let compartment):
            switch compartment {
            case .profile: return "الملف الشخصي"
            case .notes: return "الملاحظات"
            case .sensitive: return "معلومات حساسة"
            }
        case .groupRole(let role):
            switch role {
            case .lead: return "مسؤول المجموعة"
            case .caseworker: return "أخصائي حالة"
            case .viewer: return "مطّلع"
            }
        case .orgRole(let role):
            switch role {
            case .admin: return "مدير"
            case .auditor: return "مدقق"
            case .user: return "مستخدم"
            }
        case .recordTitle(let kind):
            switch kind {
            case .member: return "سجل عضو"
            case .case: return "حالة"
            case .note: return "ملاحظة حالة"
            case .attachment: return "مرفق"
            }
        case .recordVersion(let version): return "الإصدار \(version)"
        case .recordWrittenBy(let author, let time): return "كتبه \(content: author)، \(ltr: time)"
        case .recordGroup(let group): return "المجموعة: \(content: group)"
        case .recordWithheld: return "محجوب"
        case .recordWithheldHint: return "لا يحق لدورك في هذه المجموعة قراءة هذه الأقسام من السجل."
        case .recordNoFields: return "لا يوجد حقل يحق لك قراءته."
        case .recordAboutMember: return "عن العضو"
        case .recordCases: return "الحالات الخاصة بهذا العضو"
        case .recordHistory: return "التاريخ"
        case .columnVersion: return "الإصدار"
        case .columnWhen: return "متى"
        case .columnBy: return "بواسطة"
        case .columnCompartments: return "الأقسام التي تغيّرت"
        case .columnField: return "الحقل"
        case .columnValue: return "القيمة"
        case .recordOpenLogged: return "سُجِّل فتح هذا السجل، مثل كل قراءة."
        case .reasonTitle: return "لماذا تقرأ هذا السجل؟"
        case .reasonHint: return "تطلب هذه المجموعة سبباً قبل فتح المعلومات الحساسة. يُختم السبب مع القراءة بحيث لا يقرؤه إلا المدققون."
        case .reasonLabel: return "السبب (سطر واحد)"
        case .reasonButton: return "افتح السجل"
        case .statusTitle: return "الحالة"
        case .statusYou: return "أنت"
        case .statusRole: return "دورك في الخزنة"
        case .statusVault: return "الخزنة"
        case .statusFingerprint: return "بصمة الخزنة"
        case .statusFingerprintHint: return "قارنها بالبصمة التي أخبرك بها المدير. إن اختلفت، توقّف وأخبره."
        case .statusGroups: return "مجموعاتك"
        case .statusNoGroups: return "لا شيء بعد: يضيفك مسؤول المجموعة."
        case .statusLogSize: return "عدد قيود السجل"
        case .statusLocksAfter(let minutes): return "يُقفل نفسه بعد مدة بلا استخدام، بالدقائق: \(minutes)."
        case .lockedTitle: return "Kith مقفل"
        case .lockedBody: return "لم يعد يُعرض شيء من الخزنة، وانتهت جلسة هذا المتصفح."
        case .lockedAgain: return "لاستخدامه من جديد، نفّذ في الطرفية \(command: "kith unlock") ثم \(command: "kith serve")، وافتح العنوان الجديد الذي يطبعه."
        case .notSignedInTitle: return "افتح Kith من عنوانه الخاص"
        case .notSignedInBody: return "لا تُفتح هذه الصفحة إلا عبر العنوان الذي طبعه الأمر \(command: "kith serve") في الطرفية، ولمرة واحدة. نفّذ \(command: "kith serve") من جديد للحصول على عنوان جديد."
        case .refusedTitle: return "مرفوض"
        case .refusedBody: return "لم يأتِ هذا الطلب من صفحة Kith نفسها، فلم يُنفَّذ شيء. ارجع وحاول من الصفحة."
        case .notFoundPage: return "لا توجد صفحة بهذا العنوان."
        case .errorTitle(let code):
            switch code {
            case .notFound: return "غير موجود"
            case .accessDenied: return "غير مسموح"
            case .invalidInput: return "لا يمكن استخدام ذلك"
            case .busy: return "الخزنة مشغولة: حاول بعد لحظة"
            case .integrity, .invalidEntry: return "فشلت الخزنة في أحد الفحوص"
            case .wrongPassphrase: return "عبارة المرور خاطئة"
            case .storage, .crypto: return "حدث خطأ ما"
            }
        case .errorDetail: return "ما يقوله Kith:"
        case .errorIntegrityAdvice: return "لا تثق بما تعرضه. أخبر مديراً أو مدققاً؛ يمكنهم فحص السجل كله."
        case .back: return "رجوع"
        case .edit: return "تعديل"
        case .editTitle: return "تعديل السجل"
        case .saveChanges: return "احفظ إصداراً جديداً"
        case .editHint:
            return "لا يُكتب إلا ما تغيّره من الحقول، في إصدار جديد؛ وتبقى الحقول الأخرى كما هي، وتُنقل الأقسام التي لا يحق لك قراءتها دون تغيير. لا يُمحى شيء أبداً: يحتفظ التاريخ بكل إصدار."
        case .addFieldsHint: return "أضف حقلاً: اكتب اسمه وقيمته."
        case .fieldName: return "الحقل"
        case .fieldValue: return "القيمة"
        case .fieldCompartment: return "القسم"
        case .noChanges: return "لم يتغيّر شيء، فلم يُكتب إصدار جديد."
        case .navNew: return "سجل جديد"
        case .newRecordTitle(let kind):
            switch kind {
            case .member: return "سجل عضو جديد"
            case .case: return "حالة جديدة"
            case .note: return "ملاحظة جديدة"
            case .attachment: return "مرفق جديد"
            }
        case .createRecord: return "احفظ السجل"
        case .newCaseAboutMember: return "افتح حالة خاصة بهذا العضو"
        case .chooseGroup: return "اختر المجموعة أولاً."
        case .newRecordHint: return "أدخل حقلاً واحداً على الأقل. يمكن العثور على اسم العضو وحقول الاتصال به عبر البحث."
        case .nothingToWrite: return "لا يحق لدورك في هذه المجموعة إضافة سجلات."
        case .notesTitle: return "ملاحظات الحالة"
        case .noNotes: return "لا توجد ملاحظات بعد."
        case .addNoteLabel: return "أضف ملاحظة"
        case .addNoteHint: return "ما تكتبه هنا يذهب مباشرة إلى الخزنة مختوماً: لا يمرّ أبداً عبر سطر أوامر أو ملف."
        case .saveNote: return "احفظ الملاحظة"
        case .noteBy(let author, let time): return "\(content: author)، \(ltr: time)"
        case .groupTitle(let name): return "المجموعة \(content: name)"
        case .groupMembers: return "الأعضاء وأدوارهم"
        case .columnHandle: return "الشخص"
        case .columnRole: return "الدور"
        case .shareTitle: return "أعطِ شخصاً دوراً"
        case .shareHint: return "يحصل على مفاتيح كل قسم يحق لدوره قراءته، للسجلات الموجودة أيضاً. تحقّق من اسم المستخدم: به تعرفه الخزنة."
        case .shareButton: return "أعطِ الدور"
        case .handleLabel: return "اسم المستخدم"
        case .roleLabel: return "الدور"
        case .revokeButton: return "أزِل من المجموعة"
        case .revokeTitle(let handle): return "إزالة \(content: handle) من المجموعة"
        case .revokeModeLabel: return "السجلات المكتوبة قبل ذلك"
        case .revokeKeep: return "اتركها بمفاتيحها القديمة (كان بإمكان الشخص قراءتها أصلاً)"
        case .revokeRewrap: return "أعد تغليف مفاتيحها بالمفاتيح الجديدة، فلا تفتح المفاتيح القديمة شيئاً في الخزنة (سريع؛ عند مغادرة شخص)"
        case .revokeReencrypt: return "أعد تشفيرها بمفاتيح جديدة (أبطأ؛ عند فقدان جهاز أو ملف مفاتيح أو سرقته)"
        case .revokeHint:
            return "يحصل كل قسم كان بإمكانه قراءته على مفاتيح جديدة مختومة للأعضاء الباقين، ويُستخدم ذلك في كل ما يُكتب من الآن. إن توقفت العملية في منتصفها، أعدها: فهي تكمل ما بدأته."
        case .shared(let handle, let role): return "أصبح دور \(content: handle) في هذه المجموعة: \(Phrase.groupRole(role).html(.arabic))."
        case .revoked(let handle): return "لم يعد لـ \(content: handle) دور في هذه المجموعة؛ وخُتمت مفاتيح جديدة للأعضاء الباقين."
        case .rekeyed(let changed, let mode):
            return mode == .rewrap ? "مفاتيح السجلات التي أعيد تغليفها بالمفاتيح الجديدة، عددها: \(changed)." : "إصدارات السجلات التي أعيد تشفيرها بمفاتيح جديدة، عددها: \(changed)."
        case .membersOnlyLeads: return "لا يعطي الأدوار ولا يزيلها إلا مسؤولو المجموعة."
        case .navVerify: return "فحص السجل"
        case .verifyTitle: return "فحص سجل العمليات"
        case .verifyHint:
            return "يفحص توقيع كل قيد في سجل العمليات، وتسلسل البصمات، وأن لكل كاتب الحق فيما كتب، وأحدث نقطة تحقق موقّعة، وكل سجل مخزَّن مقابل سجل العمليات، دون فك تشفير أي شيء. لا يحتاج إلى مفاتيح؛ ويُجريه المدقق كثيراً."
        case .verifyButton: return "افحص الآن"
        case .verifyValid(let entries): return "كل شيء سليم: تتحقق جميع قيود السجل (التواقيع وتسلسل البصمات والصلاحيات)، وعددها: \(entries)."
        case .verifyInvalid: return "فشل الفحص. لا تثق بهذه الخزنة حتى يفحصها مدقق."
        case .verifyRoot: return "جذر ميركل"
        case .verifyNewest(let size, let witnesses): return "أحدث نقطة تحقق موقّعة ومطابقة. عدد القيود التي تغطيها: \(size)؛ عدد تواقيع الشهود: \(witnesses)."
        case .verifyNoCheckpoint: return "لا توجد نقطة تحقق مخزّنة بعد (تحصل الخزنة على واحدة مع الكتابة التالية)."
        case .verifyRecords(let versions): return "إصدارات السجلات المخزّنة التي فُحصت مقابل سجل العمليات، عددها: \(versions)."
        case .verifyResumed(let from): return "ما زالت القيود الأولى تطابق نقطة التحقق التي فُحصت سابقاً على هذا الحاسوب، فلم يُعَد فحص إلا تواقيع ما بعدها. عدد القيود الأولى: \(from)."
        }
    }
}
