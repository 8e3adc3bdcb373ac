import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// The pieces every page is made of: the HTML type that escapes what it is
/// given, numbers kept in order inside Arabic text, forms decoded as
/// browsers write them, the browser's language, and a catalog in which
/// every Arabic phrase is Arabic.
@Suite("Web interface: text, forms and words")
struct WebTextTests {
    @Test("interpolated text is escaped; only literals and HTML values are markup")
    func escaping() {
        let name = "<b onclick=\"x\">'Sam' & co</b>"
        let page: HTML = "<p>\(name)</p><p>\(content: name)</p><input value=\"\(plain: name)\">"
        #expect(!page.raw.contains("<b ") && !page.raw.contains("\"x\""))
        #expect(page.raw.contains("&lt;b onclick=&quot;x&quot;&gt;&#39;Sam&#39; &amp; co&lt;/b&gt;"))
        #expect(page.raw.contains("<bdi>&lt;b"))
        // Controls and bidi overrides show as markers, never act.
        let hostile: HTML = "\(content: "a\u{202E}b\u{7}c\u{2066}")"
        #expect(hostile.raw == "<bdi>a&lt;U+202E&gt;b&lt;U+0007&gt;c&lt;U+2066&gt;</bdi>")
    }

    @Test(
        "a number written in groups stays left to right inside Arabic text; other text is untouched",
        arguments: [
            ("الرقم +44 7700 900123 للتواصل", "الرقم <span dir=\"ltr\">+44 7700 900123</span> للتواصل"),
            ("هاتف ٠٧٧٠٠ ٩٠٠١٢٣", "هاتف <span dir=\"ltr\">٠٧٧٠٠ ٩٠٠١٢٣</span>"),
            ("born 1990-05-01", "born <span dir=\"ltr\">1990-05-01</span>"),
            ("room 12, floor 3", "room 12, floor 3"),
            ("version 2.5 & <3>", "version 2.5 &amp; &lt;3&gt;"),
            ("&#39; 1 2", "&amp;#39; <span dir=\"ltr\">1 2</span>"),
        ])
    func numbers(text: String, expected: String) {
        #expect(HTML.numbersKeptInOrder(text) == expected)
    }

    @Test("forms decode as browsers encode them: + as a space, %XX as UTF-8, the first of a repeated name; bad UTF-8 is dropped")
    func forms() {
        let form = FormEncoding.decode(Array("q=%D9%85%D8%AD%D9%85%D8%AF+%D8%B9%D9%84%D9%8A&x=1&x=2&bad=%FF%FE&empty=&flag&pct=100%25&trail=%2".utf8))
        #expect(form["q"] == "محمد علي")
        #expect(form["x"] == "1" && form["bad"] == nil && form["empty"] == "" && form["flag"] == "")
        #expect(form["pct"] == "100%" && form["trail"] == "%2")
    }

    @Test("sizes read as file managers show them", arguments: [(UInt64(812), "812 B"), (4_200, "4.2 KB"), (3_000_000, "3 MB"), (999_999, "1000 KB"), (1_250_000_000, "1.3 GB")])
    func sizes(bytes: UInt64, expected: String) {
        #expect(WebSize.text(bytes) == expected)
    }

    @Test("cookies are read by exact name")
    func cookies() {
        let request = WebRequest(method: .get, path: "/", headers: ["Cookie": "kith_session_1=aa; kith_session_12=bb ;x=y"])
        #expect(request.cookie("kith_session_1") == "aa" && request.cookie("kith_session_12") == "bb" && request.cookie("kith") == nil)
    }

    @Test("every Arabic phrase is written in Arabic letters, and differs from its English", arguments: WebTextTests.samplePhrases)
    func arabicCatalog(phrase: Phrase) {
        let arabic = phrase.text(.arabic)
        let english = phrase.text(.english)
        #expect(!arabic.isEmpty && !english.isEmpty)
        #expect(arabic.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) }, "\(arabic)")
        #expect(arabic != english)
    }

    /// Every case of `Phrase`, with sample arguments (apart from the brand and the language switch, which are not Arabic by design).
    static let samplePhrases: [Phrase] = {
        var all: [Phrase] = [
            .skipToContent, .navFind, .navStatus, .lock, .lockHint, .findTitle, .findLabel, .findHint, .findButton, .findGroup, .findAllGroups, .findKind,
            .findAnyKind, .findLogged, .findNoMatch, .findNoMatchHint, .findTypeMore, .findTooMany, .continueButton, .findCount(shown: 3, total: 9),
            .findMore(unchecked: 4), .findIndexed(records: 10, group: "g"), .columnRecord, .columnGroup, .columnKind, .columnMatch, .columnFields,
            .recordVersion(2), .recordWrittenBy(author: "a", time: "t"), .recordGroup("g"), .recordWithheld, .recordWithheldHint, .recordNoFields,
            .recordAboutMember, .recordCases, .recordHistory, .columnVersion, .columnWhen, .columnBy, .columnCompartments, .columnField, .columnValue,
            .recordOpenLogged, .reasonTitle, .reasonHint, .reasonLabel, .reasonButton, .statusTitle, .statusYou, .statusRole, .statusVault,
            .statusFingerprint, .statusFingerprintHint, .statusGroups, .statusNoGroups, .statusLogSize, .statusLocksAfter(minutes: 15), .lockedTitle,
            .lockedBody, .lockedAgain, .notSignedInTitle, .notSignedInBody, .refusedTitle, .refusedBody, .notFoundPage, .errorDetail,
            .errorIntegrityAdvice, .back, .edit, .editTitle, .saveChanges, .editHint, .addFieldsHint, .fieldName, .fieldValue, .fieldCompartment,
            .noChanges, .navNew, .createRecord, .newCaseAboutMember, .chooseGroup, .newRecordHint, .nothingToWrite, .notesTitle, .noNotes,
            .addNoteLabel, .addNoteHint, .saveNote, .groupTitle("g"), .groupMembers, .columnHandle, .columnRole, .shareTitle, .shareHint,
            .shareButton, .handleLabel, .roleLabel, .revokeButton, .revokeTitle("h"), .revokeModeLabel, .revokeKeep, .revokeRewrap, .revokeReencrypt,
            .revokeHint, .shared(handle: "h", role: .viewer), .revoked(handle: "h"), .rekeyed(changed: 3, mode: .rewrap),
            .rekeyed(changed: 3, mode: .reencrypt), .membersOnlyLeads, .navVerify, .verifyTitle, .verifyHint, .verifyButton,
            .verifyValid(entries: 9), .verifyInvalid, .verifyRoot, .verifyNewest(size: 9, witnesses: 1), .verifyNoCheckpoint,
            .verifyRecords(versions: 4), .verifyResumed(from: 5), .attachmentsTitle, .noAttachments, .attachmentsHint, .uploadLabel, .uploadButton, .uploadHint, .columnName,
            .columnSize, .attachmentWithheld, .policyTitle, .policyReads, .policyWrites, .policyNothing, .policyReasons, .policyNoReasons, .policyHint,
            .navLog, .logTitle, .logHint, .logFilterActor, .logFilterType, .logFilterRecord, .logFilterSince, .logAnyType, .logShow, .logNone,
            .logShown(shown: 5, total: 9), .logSealed, .logReasonMissing, .logCount(3), .columnEntry, .columnWhat, .columnDetails,
        ]
        all += SearchRank.allCases.map(Phrase.rank) + RecordKind.allCases.map(Phrase.kind) + RecordKind.allCases.map(Phrase.recordTitle)
        all += RecordKind.allCases.map(Phrase.newRecordTitle) + Compartment.allCases.map(Phrase.compartment)
        all += GroupRole.allCases.map(Phrase.groupRole) + OrgRole.allCases.map(Phrase.orgRole) + KithVaultError.Code.allCases.map(Phrase.errorTitle)
        return all
    }()
}
