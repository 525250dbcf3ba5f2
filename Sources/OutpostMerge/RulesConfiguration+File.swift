public import OutpostCore

extension RulesConfiguration {
    /// Reads a rules file.
    ///
    /// ```swift
    /// let configuration = try RulesConfiguration(parsing: #"{"default_strategy": "merge"}"#)
    /// ```
    ///
    /// - Throws: ``OutpostError`` `.invalidJSON` with `line` and `column` in its details when the
    ///   text is not JSON; `.invalidInput` with the offending `path` (such as
    ///   `entities.agents.rules[2].action`) when it is JSON but not a valid rules file.
    public init(parsing text: String) throws(OutpostError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch {
            throw OutpostError(
                error.code,
                "Invalid rules file. \(error.message) Fix the JSON and try again.",
                details: error.details
            )
        }
        try self.init(json: document)
    }

    /// Reads a rules file already parsed as JSON.
    ///
    /// Unknown members are refused rather than ignored, so a misspelt `"acton"` is reported
    /// instead of silently doing nothing.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming the offending path and what to write.
    public init(json document: JSONValue) throws(OutpostError) {
        let root = try Self.members(of: document, at: "", allowed: ["default_strategy", "default_handler", "entities"])
        self.init()
        if let strategy = root["default_strategy"] {
            defaultStrategy = try Self.strategy(strategy, handler: root["default_handler"], at: "default_strategy")
        } else if root["default_handler"] != nil {
            throw Self.invalid("default_handler", "a handler is only used with \"default_strategy\": \"custom\"")
        }
        if let entitiesValue = root["entities"] {
            let entries = try Self.members(of: entitiesValue, at: "entities", allowed: nil)
            for name in entries.keys.sorted() {
                guard !name.isEmpty else { throw Self.invalid("entities", "an entity type name is empty") }
                entities[name] = try Self.entity(entries[name]!, at: "entities.\(name)")
            }
        }
    }

    /// The configuration as a rules-file document; ``init(json:)`` reads it back unchanged.
    public var json: JSONValue {
        var root: [String: JSONValue] = ["default_strategy": .string(defaultStrategy.name)]
        if case .custom(let handler) = defaultStrategy { root["default_handler"] = .string(handler) }
        var entries: [String: JSONValue] = [:]
        for (name, entity) in entities {
            var entry: [String: JSONValue] = ["strategy": .string(entity.strategy.name)]
            if case .custom(let handler) = entity.strategy { entry["handler"] = .string(handler) }
            if !entity.rules.isEmpty { entry["rules"] = .array(entity.rules.map(\.json)) }
            entries[name] = .object(entry)
        }
        root["entities"] = .object(entries)
        return .object(root)
    }

    /// The text of a rules file for this configuration: pretty, keys sorted, stable.
    public func encoded() -> String {
        json.encoded(.pretty)
    }

    // MARK: Reading

    private static func entity(_ value: JSONValue, at path: String) throws(OutpostError) -> EntityRules {
        let members = try members(of: value, at: path, allowed: ["strategy", "handler", "rules"])
        var entity = EntityRules()
        if let strategy = members["strategy"] {
            entity.strategy = try self.strategy(strategy, handler: members["handler"], at: "\(path).strategy")
        } else if members["handler"] != nil {
            throw invalid("\(path).handler", "a handler is only used with \"strategy\": \"custom\"")
        }
        if let rulesValue = members["rules"] {
            guard case .array(let elements) = rulesValue else {
                throw invalid("\(path).rules", "expected an array of rules, found \(rulesValue.typeName)")
            }
            for (index, element) in elements.enumerated() {
                entity.rules.append(try rule(element, at: "\(path).rules[\(index)]"))
            }
        }
        return entity
    }

    private static func strategy(
        _ value: JSONValue,
        handler: JSONValue?,
        at path: String
    ) throws(OutpostError) -> Strategy {
        let name = try string(value, at: path)
        let handlerPath = path.replacingSuffix("strategy", with: "handler")
        guard Strategy.names.contains(name) else {
            throw invalid(path, "unknown strategy '\(name)'; use one of \(Strategy.names.joined(separator: ", "))")
        }
        guard name == "custom" else {
            if handler != nil { throw invalid(handlerPath, "a handler is only used with the custom strategy") }
            return Strategy(name: name)!
        }
        guard let handler else {
            throw invalid(handlerPath, "the custom strategy needs the name of a registered handler")
        }
        return .custom(handler: try nonEmptyString(handler, at: handlerPath))
    }

    private static func rule(_ value: JSONValue, at path: String) throws(OutpostError) -> Rule {
        let members = try members(of: value, at: path, allowed: ["field", "action", "handler", "when", "weight"])
        guard let fieldValue = members["field"] else {
            throw invalid(
                "\(path).field",
                "missing; name the field the rule covers, such as \"status\" or \"config.*\""
            )
        }
        let pattern: FieldPattern
        do {
            pattern = try FieldPattern(try string(fieldValue, at: "\(path).field"))
        } catch {
            throw invalid("\(path).field", error.message)
        }
        guard let actionValue = members["action"] else {
            throw invalid("\(path).action", "missing; use one of \(Rule.Action.names.joined(separator: ", "))")
        }
        let action = try self.action(actionValue, handler: members["handler"], at: path)
        var weight = 1
        if let weightValue = members["weight"] {
            guard case .integer(let number) = weightValue, (0...1_000_000).contains(number) else {
                throw invalid("\(path).weight", "expected a whole number from 0 to 1000000")
            }
            weight = Int(number)
        }
        let condition = try members["when"].map { (value) throws(OutpostError) in
            try self.condition(value, at: "\(path).when")
        }
        return Rule(field: pattern, action: action, when: condition, weight: weight)
    }

    private static func action(
        _ value: JSONValue,
        handler: JSONValue?,
        at path: String
    ) throws(OutpostError) -> Rule.Action {
        let name = try string(value, at: "\(path).action")
        let action: Rule.Action
        switch name {
        case "local": action = .local
        case "remote": action = .remote
        case "newest": action = .newest
        case "merge": action = .merge
        case "custom":
            guard let handler else {
                throw invalid("\(path).handler", "the custom action needs the name of a registered field handler")
            }
            return .custom(handler: try nonEmptyString(handler, at: "\(path).handler"))
        default:
            throw invalid(
                "\(path).action",
                "unknown action '\(name)'; use one of \(Rule.Action.names.joined(separator: ", "))"
            )
        }
        if handler != nil { throw invalid("\(path).handler", "a handler is only used with the custom action") }
        return action
    }

    private static func condition(_ value: JSONValue, at path: String) throws(OutpostError) -> RuleCondition {
        let members = try members(of: value, at: path, allowed: ["side", "field", "equals", "in", "exists"])
        let sides = RuleCondition.Side.allCases.map(\.rawValue)
        guard let sideValue = members["side"] else {
            throw invalid("\(path).side", "missing; use one of \(sides.joined(separator: ", "))")
        }
        let sideName = try string(sideValue, at: "\(path).side")
        guard let side = RuleCondition.Side(rawValue: sideName) else {
            throw invalid("\(path).side", "unknown side '\(sideName)'; use one of \(sides.joined(separator: ", "))")
        }
        var field: String?
        if let fieldValue = members["field"] {
            let text = try nonEmptyString(fieldValue, at: "\(path).field")
            guard !text.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
                throw invalid(
                    "\(path).field",
                    "'\(text)' has an empty segment; write a dotted path such as config.mode"
                )
            }
            field = text
        }
        let tests = ["equals", "in", "exists"].filter { members[$0] != nil }
        guard tests.count == 1 else {
            throw invalid(path, "write exactly one test of equals, in, exists (found \(tests.count))")
        }
        let test: RuleCondition.Test
        switch (members["equals"], members["in"], members["exists"]) {
        case (let expected?, _, _):
            test = .equals(expected)
        case (_, .array(let candidates)?, _):
            test = .isOneOf(candidates)
        case (_, _, .bool(let present)?):
            test = .exists(present)
        case (_, let candidates?, _):
            throw invalid("\(path).in", "expected an array of values, found \(candidates.typeName)")
        case (_, _, let present):
            throw invalid("\(path).exists", "expected true or false, found \(present?.typeName ?? "nothing")")
        }
        return RuleCondition(side: side, field: field, test: test)
    }

    // MARK: Small readers

    private static func members(
        of value: JSONValue,
        at path: String,
        allowed: Set<String>?
    ) throws(OutpostError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw invalid(path, "expected an object, found \(value.typeName)")
        }
        if let allowed, let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            let location = path.isEmpty ? unknown : "\(path).\(unknown)"
            throw invalid(location, "unknown member; use one of \(allowed.sorted().joined(separator: ", "))")
        }
        return members
    }

    private static func string(_ value: JSONValue, at path: String) throws(OutpostError) -> String {
        guard case .string(let text) = value else {
            throw invalid(path, "expected a string, found \(value.typeName)")
        }
        return text
    }

    private static func nonEmptyString(_ value: JSONValue, at path: String) throws(OutpostError) -> String {
        let text = try string(value, at: path)
        guard !text.isEmpty else { throw invalid(path, "must not be empty") }
        return text
    }

    private static func invalid(_ path: String, _ reason: String) -> OutpostError {
        let location = path.isEmpty ? "the top level" : path
        return OutpostError(
            .invalidInput,
            "Invalid rules file at \(location): \(reason).",
            details: ["path": location]
        )
    }
}

extension Rule {
    /// The rule as a rules-file member.
    var json: JSONValue {
        var members: [String: JSONValue] = ["field": .string(field.text), "action": .string(action.name)]
        if case .custom(let handler) = action { members["handler"] = .string(handler) }
        if weight != 1 { members["weight"] = .integer(Int64(weight)) }
        if let condition { members["when"] = condition.json }
        return .object(members)
    }
}

extension RuleCondition {
    /// The condition as a rules-file member.
    var json: JSONValue {
        var members: [String: JSONValue] = ["side": .string(side.rawValue)]
        if let field { members["field"] = .string(field) }
        switch test {
        case .equals(let value): members["equals"] = value
        case .isOneOf(let values): members["in"] = .array(values)
        case .exists(let present): members["exists"] = .bool(present)
        }
        return .object(members)
    }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : replacement
    }
}
