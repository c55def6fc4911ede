package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition.ChildTypeEnum;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.parser.DataFormatException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Finds where in a request body the content is that R4 does not define, as FHIRPath expressions
 * ({@code ServiceRequest.statusReasonX}, {@code Bundle.entry[1].resource.contained[0].bodyStructure}).
 * HAPI's parser decides what is refused ({@link StrictRequestParsing}); its error handler is told only the
 * element's name ({@code IParseLocation} is always null in HAPI 8.8), so this walk over the same body,
 * against the same FhirContext definitions, supplies the location for OperationOutcome.issue.expression.
 * Best effort by design: anything it cannot follow (an unknown resource type, xhtml) is skipped, and a
 * problem it does not find is still refused, only without an expression.
 */
public final class ParseProblemLocator {

	/** What kind of problem; the same kinds HAPI's {@code IParserErrorHandler} reports. */
	public enum Kind { UNKNOWN_ELEMENT, UNKNOWN_ATTRIBUTE, WRONG_JSON_TYPE, REPEATED_ELEMENT }

	/**
	 * One problem: its kind, the element or attribute name as the client wrote it, the FHIRPath of the
	 * element (for an attribute: of the element carrying it) and a sentence for issue.diagnostics.
	 */
	public record Problem(Kind kind, String name, String expression, String diagnostics) {}

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final XMLInputFactory XML = xmlInputFactory();
	private static final String FHIR_NS = "http://hl7.org/fhir";
	private static final String XHTML_NS = "http://www.w3.org/1999/xhtml";

	private final FhirContext context;

	public ParseProblemLocator(FhirContext context) {
		this.context = context;
	}

	/** Every problem found in the body, in document order; empty when the body cannot be read at all. */
	public List<Problem> locate(String body, boolean xml) {
		List<Problem> problems = new ArrayList<>();
		try {
			if (xml) {
				xml(body, problems);
			} else {
				JsonNode root = JSON.readTree(body);
				if (root != null && root.isObject()) {
					jsonResource(root, null, problems);
				}
			}
		} catch (JsonProcessingException | XMLStreamException | RuntimeException unreadable) {
			// Best effort: HAPI's own message still names the problem.
		}
		return problems;
	}

	// ---------------------------------------------------------------------------------------------- JSON

	/** @param path where the resource sits (e.g. {@code Bundle.entry[0].resource}), null at the root */
	private void jsonResource(JsonNode node, String path, List<Problem> problems) {
		JsonNode type = node.get("resourceType");
		RuntimeResourceDefinition definition = type == null ? null : resourceDefinition(type.asText());
		if (definition == null) {
			return;
		}
		jsonComposite(node, definition, path == null ? definition.getName() : path, problems);
	}

	private void jsonComposite(JsonNode node, BaseRuntimeElementCompositeDefinition<?> definition, String path,
			List<Problem> problems) {
		for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
			Map.Entry<String, JsonNode> field = fields.next();
			String name = field.getKey();
			// resourceType names the resource; fhir_comments is legal in R4 JSON (json.html#comments).
			if (name.equals("resourceType") || name.equals("fhir_comments")) {
				continue;
			}
			boolean underscore = name.startsWith("_");
			String elementName = underscore ? name.substring(1) : name;
			String at = path + "." + elementName;
			BaseRuntimeChildDefinition child = definition.getChildByName(elementName);
			if (child == null) {
				problems.add(new Problem(Kind.UNKNOWN_ELEMENT, elementName, at, "Unknown element '" + elementName
						+ "' at " + at + ": FHIR R4 does not define it on " + definition.getName() + "."));
				continue;
			}
			BaseRuntimeElementDefinition<?> target = target(child, elementName);
			JsonNode value = field.getValue();
			if (value.isArray()) {
				if (child.getMax() == 1 || child.getMax() == 0) {
					// HAPI reads each item as a repetition (unexpectedRepeatingElement).
					problems.add(new Problem(Kind.REPEATED_ELEMENT, elementName, at, "Element '" + elementName + "' at "
							+ at + " is a JSON array, but R4 allows it only once (0..1): send a single value."));
				}
				for (int i = 0; i < value.size(); i++) {
					jsonValue(value.get(i), target, elementName, at + "[" + i + "]", underscore, problems);
				}
			} else {
				// HAPI reports an object where an array belongs (JsonParser.parseChildren); a lone scalar it reads.
				if (child.getMax() != 1 && child.getMax() != 0 && !underscore && value.isObject()) {
					problems.add(new Problem(Kind.WRONG_JSON_TYPE, elementName, at, "Element '" + elementName + "' at "
							+ at + " must be a JSON array: R4 allows it to repeat (0..*)."));
				}
				jsonValue(value, target, elementName, at, underscore, problems);
			}
		}
	}

	private void jsonValue(JsonNode value, BaseRuntimeElementDefinition<?> target, String name, String path,
			boolean underscore, List<Problem> problems) {
		if (value == null || value.isNull() || target == null) {
			return;
		}
		ChildTypeEnum kind = target.getChildType();
		if (underscore) {
			// _name carries a primitive's id and extensions (json.html#primitive).
			if (value.isObject() && target instanceof BaseRuntimeElementCompositeDefinition<?> composite) {
				jsonComposite(value, composite, path, problems);
			} else if (value.isObject()) {
				jsonPrimitiveSibling(value, path, problems);
			}
			return;
		}
		switch (kind) {
			case PRIMITIVE_DATATYPE, ID_DATATYPE, PRIMITIVE_XHTML, PRIMITIVE_XHTML_HL7ORG -> {
				if (value.isObject() && value.size() > 0) {
					// HAPI reads the object's members as children of the primitive and reports each as unknown.
					for (Iterator<String> names = value.fieldNames(); names.hasNext();) {
						String member = names.next();
						problems.add(new Problem(Kind.UNKNOWN_ELEMENT, member, path, "Element '" + name + "' at " + path
								+ " is a " + target.getName() + " and must be a JSON string, number or boolean, not an"
								+ " object (with '" + member + "' in it)."));
					}
				} else if (!value.isValueNode()) {
					problems.add(new Problem(Kind.WRONG_JSON_TYPE, name, path, "Element '" + name + "' at " + path
							+ " must be a JSON " + (value.isObject() ? "string, number or boolean (a " + target.getName()
							+ "), not an object" : "value, not an array") + "."));
				}
			}
			case RESOURCE, CONTAINED_RESOURCES, CONTAINED_RESOURCE_LIST -> {
				if (value.isObject()) {
					jsonResource(value, path, problems);
				}
			}
			default -> {
				if (!value.isObject()) {
					problems.add(new Problem(Kind.WRONG_JSON_TYPE, name, path, "Element '" + name + "' at " + path
							+ " must be a JSON object (a " + target.getName() + "), not "
							+ (value.isArray() ? "an array" : "a single value") + "."));
				} else if (target instanceof BaseRuntimeElementCompositeDefinition<?> composite) {
					jsonComposite(value, composite, path, problems);
				}
			}
		}
	}

	/** The object beside a primitive ({@code "_birthDate": {...}}): only id and extension are defined. */
	private void jsonPrimitiveSibling(JsonNode value, String path, List<Problem> problems) {
		for (Iterator<String> names = value.fieldNames(); names.hasNext();) {
			String name = names.next();
			if (!Set.of("id", "extension", "fhir_comments").contains(name)) {
				String at = path + "." + name;
				problems.add(new Problem(Kind.UNKNOWN_ELEMENT, name, at, "Unknown element '" + name + "' at " + at
						+ ": a primitive value's extension object holds only id and extension."));
			}
		}
	}

	// ----------------------------------------------------------------------------------------------- XML

	/** A composite being read: its definition, path, and the children already seen (for repeats). */
	private static final class Frame {
		final BaseRuntimeElementDefinition<?> definition;
		final String path;
		final Map<BaseRuntimeChildDefinition, Integer> seen = new HashMap<>();
		final Map<String, Integer> counts = new HashMap<>();
		/** A resource slot (contained, entry.resource): its one child element names the resource type. */
		final boolean resourceSlot;

		Frame(BaseRuntimeElementDefinition<?> definition, String path, boolean resourceSlot) {
			this.definition = definition;
			this.path = path;
			this.resourceSlot = resourceSlot;
		}
	}

	private void xml(String body, List<Problem> problems) throws XMLStreamException {
		XMLStreamReader reader = XML.createXMLStreamReader(new StringReader(body));
		try {
			List<Frame> stack = new ArrayList<>();
			int skipDepth = 0;
			while (reader.hasNext()) {
				int event = reader.next();
				if (event == XMLStreamConstants.START_ELEMENT) {
					if (skipDepth > 0) {
						skipDepth++;
						continue;
					}
					Frame frame = xmlStart(reader, stack, problems);
					if (frame == null) {
						skipDepth = 1;
					} else {
						stack.add(frame);
					}
				} else if (event == XMLStreamConstants.END_ELEMENT) {
					if (skipDepth > 0) {
						skipDepth--;
					} else if (!stack.isEmpty()) {
						stack.remove(stack.size() - 1);
					}
				}
			}
		} finally {
			reader.close();
		}
	}

	/** The frame for the element just opened, or null to skip its whole subtree. */
	private Frame xmlStart(XMLStreamReader reader, List<Frame> stack, List<Problem> problems) {
		String name = reader.getLocalName();
		if (XHTML_NS.equals(reader.getNamespaceURI())) {
			return null;
		}
		if (stack.isEmpty() || stack.get(stack.size() - 1).resourceSlot) {
			RuntimeResourceDefinition resource = resourceDefinition(name);
			if (resource == null) {
				return null;
			}
			String path = stack.isEmpty() ? resource.getName() : stack.get(stack.size() - 1).path;
			xmlAttributes(reader, resource, path, problems);
			return new Frame(resource, path, false);
		}
		Frame parent = stack.get(stack.size() - 1);
		if (!(parent.definition instanceof BaseRuntimeElementCompositeDefinition<?> composite)) {
			return null;
		}
		BaseRuntimeChildDefinition child = composite.getChildByName(name);
		if (child == null) {
			String at = parent.path + "." + name;
			problems.add(new Problem(Kind.UNKNOWN_ELEMENT, name, at, "Unknown element '" + name + "' at " + at
					+ ": FHIR R4 does not define it on " + composite.getName() + "."));
			return null;
		}
		int index = parent.counts.merge(name, 1, Integer::sum) - 1;
		int repeats = parent.seen.merge(child, 1, Integer::sum);
		String at = parent.path + "." + name;
		if ((child.getMax() == 1 || child.getMax() == 0) && repeats > 1) {
			problems.add(new Problem(Kind.REPEATED_ELEMENT, name, at, "Element '" + name + "' at " + at
					+ " appears more than once, but R4 allows it only once (0..1)."));
			return null;
		}
		String path = child.getMax() == 1 ? at : at + "[" + index + "]";
		BaseRuntimeElementDefinition<?> target = target(child, name);
		if (target == null) {
			return null;
		}
		ChildTypeEnum kind = target.getChildType();
		if (kind == ChildTypeEnum.PRIMITIVE_XHTML || kind == ChildTypeEnum.PRIMITIVE_XHTML_HL7ORG) {
			return null;
		}
		xmlAttributes(reader, target, path, problems);
		boolean resourceSlot = kind == ChildTypeEnum.RESOURCE || kind == ChildTypeEnum.CONTAINED_RESOURCES
				|| kind == ChildTypeEnum.CONTAINED_RESOURCE_LIST;
		return new Frame(target, path, resourceSlot);
	}

	/**
	 * XML attributes R4 defines: id on any element, value on a primitive, url on an extension
	 * (xml.html). Namespaced attributes (xsi:schemaLocation, xml:lang) are not FHIR content.
	 */
	private static void xmlAttributes(XMLStreamReader reader, BaseRuntimeElementDefinition<?> definition, String path,
			List<Problem> problems) {
		ChildTypeEnum kind = definition.getChildType();
		boolean primitive = kind == ChildTypeEnum.PRIMITIVE_DATATYPE || kind == ChildTypeEnum.ID_DATATYPE;
		boolean extension = definition.getName().equals("Extension");
		for (int i = 0; i < reader.getAttributeCount(); i++) {
			String namespace = reader.getAttributeNamespace(i);
			if (namespace != null && !namespace.isEmpty() && !namespace.equals(FHIR_NS)) {
				continue;
			}
			String attribute = reader.getAttributeLocalName(i);
			boolean known = attribute.equals("id") || (primitive && attribute.equals("value"))
					|| (extension && attribute.equals("url"));
			if (!known) {
				problems.add(new Problem(Kind.UNKNOWN_ATTRIBUTE, attribute, path, "Unknown attribute '" + attribute
						+ "' on " + path + ": FHIR R4 XML defines only id" + (primitive ? " and value" : "")
						+ (extension ? " and url" : "") + " here."));
			}
		}
	}

	/**
	 * The definition of what the element holds. HAPI models extension and modifierExtension as a child of
	 * its own kind that answers no name; their content is an R4 Extension (any url, value[x], extension).
	 */
	private BaseRuntimeElementDefinition<?> target(BaseRuntimeChildDefinition child, String name) {
		if (name.equals("extension") || name.equals("modifierExtension")) {
			return context.getElementDefinition("Extension");
		}
		try {
			return child.getChildByName(name);
		} catch (RuntimeException notModelled) {
			return null;
		}
	}

	private RuntimeResourceDefinition resourceDefinition(String type) {
		try {
			return context.getResourceDefinition(type);
		} catch (DataFormatException unknownType) {
			return null;
		}
	}

	private static XMLInputFactory xmlInputFactory() {
		XMLInputFactory factory = XMLInputFactory.newFactory();
		factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
		factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
		factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
		return factory;
	}
}
