import OutpostCore
import OutpostRunner
import Testing

@Suite("References between steps are plain substitution")
struct TemplateTests {
    let template = Template(scope: [
        "input": ["site": "berlin", "limit": 5],
        "steps": ["fetch": ["output": ["body": ["items": ["a", "b"]], "status": 200]]],
    ])

    @Test("a whole-string reference keeps the value's type; inside text it becomes text")
    func substitution() throws {
        #expect(try template.resolve("${input.limit}") == 5)
        #expect(try template.resolve("${steps.fetch.output.body}") == ["items": ["a", "b"]])
        #expect(try template.resolve("site=${input.site}&n=${input.limit}") == "site=berlin&n=5")
        #expect(try template.resolve("${steps.fetch.output.body.items.1}") == "b")
        #expect(try template.resolve(["argv": ["/bin/echo", "${input.site}"]]) == ["argv": ["/bin/echo", "berlin"]])
    }

    @Test("no evaluation: $${ is a literal, an unclosed ${ stays text, code is just a missing name")
    func noEvaluation() throws {
        #expect(try template.resolve("cost: $${input.site}") == "cost: ${input.site}")
        #expect(try template.resolve("price ${ 5") == "price ${ 5")
        #expect(throws: OutpostError.self) { try template.resolve("${input.site + 1}") }
    }

    @Test("a reference to nothing is an error naming it, never an empty string")
    func missing() {
        #expect {
            try template.resolve("${input.nothing}")
        } throws: { error in
            (error as! OutpostError).details["reference"] == "input.nothing"
        }
    }
}
