package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled inventory validates against its JSON Schema, and the schema rejects broken entries. */
class InventorySchemaTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonSchema schema;
    private static JsonNode data;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream s = InventorySchemaTest.class.getResourceAsStream(Inventory.SCHEMA_RESOURCE);
                InputStream d = InventorySchemaTest.class.getResourceAsStream(Inventory.RESOURCE)) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(s);
            data = MAPPER.readTree(d);
        }
    }

    private static String describe(Set<ValidationMessage> errors) {
        return errors.stream().map(ValidationMessage::getMessage).limit(20).collect(Collectors.joining("\n"));
    }

    @Test
    void bundledInventoryValidates() {
        Set<ValidationMessage> errors = schema.validate(data);
        assertTrue(errors.isEmpty(), () -> "inventory.json breaks inventory.schema.json:\n" + describe(errors));
    }

    private static ObjectNode firstEntry(JsonNode doc) {
        return (ObjectNode) doc.get("entries").get(0);
    }

    @Test
    void schemaRejectsAnUnknownRegime() {
        JsonNode copy = data.deepCopy();
        firstEntry(copy).put("regime", "robotics");
        Set<ValidationMessage> errors = schema.validate(copy);
        assertFalse(errors.isEmpty());
        assertTrue(describe(errors).contains("regime"), describe(errors));
    }

    @Test
    void schemaRejectsEvidenceOnAnOutOfScopeEntry() {
        JsonNode copy = data.deepCopy();
        ObjectNode e = null;
        for (JsonNode n : copy.get("entries")) {
            if (n.get("scope").asText().equals("out_of_scope")) {
                e = (ObjectNode) n;
                break;
            }
        }
        e.putObject("evidence").put("level", "E2").put("basis", "abstract").put("rationale", "a made-up rationale");
        assertFalse(schema.validate(copy).isEmpty());
    }

    @Test
    void schemaRejectsAMissingScopeReasonAndABadFidelity() {
        JsonNode copy = data.deepCopy();
        firstEntry(copy).remove("scope_reason");
        assertFalse(schema.validate(copy).isEmpty());

        JsonNode copy2 = data.deepCopy();
        for (JsonNode n : copy2.get("entries")) {
            if (n.get("implemented_by").size() > 0) {
                ((ObjectNode) n.get("implemented_by").get(0)).put("fidelity", "approximate");
                break;
            }
        }
        assertFalse(schema.validate(copy2).isEmpty());
    }

    @Test
    void schemaRequiresTheCatalogObjectForCatalogEntries() {
        JsonNode copy = data.deepCopy();
        for (JsonNode n : copy.get("entries")) {
            if (n.get("catalog").isObject()) {
                ((ObjectNode) n).putNull("catalog");
                break;
            }
        }
        assertFalse(schema.validate(copy).isEmpty());
    }

    @Test
    void rubricListsFiveLevels() {
        assertEquals(5, data.get("rubric").get("levels").size());
    }
}
