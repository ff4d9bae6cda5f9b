package it.regione.basilicata.contactcenter.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.operaton.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.variable.serializer.AbstractObjectValueSerializer;
import org.operaton.bpm.engine.impl.variable.serializer.TypedValueSerializer;
import org.springframework.stereotype.Component;

/**
 * Object and list variables as JSON (serialization format {@code application/json}), so that the
 * workers' structured values (slot options, cleanup packages, a sports-group plan) are ordinary
 * maps and lists inside the engine: a multi-instance collection, a {@code ${plan != null}} or a
 * {@code ${slotOptions.size()}} in JUEL work on them. Operaton's own JSON support (Spin) is not
 * served where this project is built; this is the small part of it the platform needs.
 *
 * <p>Only {@link LinkedHashMap} and {@link ArrayList} (of JSON values) are read back: a serialized
 * value naming any other Java type is refused, so the REST API cannot be used to instantiate
 * arbitrary classes.
 */
@Component
public class JsonVariables extends AbstractProcessEnginePlugin {

  public static final String FORMAT = "application/json";

  @Override
  public void preInit(ProcessEngineConfigurationImpl configuration) {
    List<TypedValueSerializer> pre = configuration.getCustomPreVariableSerializers();
    List<TypedValueSerializer> serializers = pre == null ? new ArrayList<>() : new ArrayList<>(pre);
    serializers.add(new JsonSerializer());
    configuration.setCustomPreVariableSerializers(serializers);
    configuration.setDefaultSerializationFormat(FORMAT);
  }

  static final class JsonSerializer extends AbstractObjectValueSerializer {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    JsonSerializer() {
      super(FORMAT);
    }

    @Override
    public String getName() {
      return "contact-center-json";
    }

    @Override
    protected boolean isSerializationTextBased() {
      return true;
    }

    @Override
    protected boolean canSerializeValue(Object value) {
      return value instanceof Map || value instanceof List;
    }

    @Override
    protected String getTypeNameForDeserialized(Object value) {
      return value instanceof Map ? LinkedHashMap.class.getName() : ArrayList.class.getName();
    }

    @Override
    protected byte[] serializeToByteArray(Object value) throws Exception {
      return MAPPER.writeValueAsBytes(value);
    }

    @Override
    protected Object deserializeFromByteArray(byte[] bytes, String objectTypeName) throws Exception {
      if (LinkedHashMap.class.getName().equals(objectTypeName) || Map.class.getName().equals(objectTypeName)) {
        return MAPPER.readValue(bytes, LinkedHashMap.class);
      }
      if (ArrayList.class.getName().equals(objectTypeName) || List.class.getName().equals(objectTypeName)) {
        return MAPPER.readValue(bytes, ArrayList.class);
      }
      throw new IllegalArgumentException("JSON variables may only be maps or lists, not " + objectTypeName);
    }
  }
}
