// The OWL API's OWL 2 RL and OWL 2 DL profile checks of ontology documents, in one JVM start.
// Compiled and run by tests/test_owl_profile.py against the OWL API 3.4 inside owlready2's
// HermiT.jar: `java -cp HermiT.jar:DIR Profile a.rdf b.rdf ...` prints every violation, one a
// line, as "<argument index>\t<RL|DL>\t<violation>", then "<argument index>\tANNOTATED\t<n>":
// how many of the document's axioms the OWL API read with an annotation of the kzgraph namespace
// (a statement's own sources, written as owl:Axiom); exits 2 when a document does not load.
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLAnnotation;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWL2RLProfile;
import org.semanticweb.owlapi.profiles.OWLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class Profile {
    public static void main(String[] args) {
        String[] names = {"RL", "DL"};
        for (int i = 0; i < args.length; i++) {
            OWLOntology ontology;
            try {
                // a manager per document, so that documents sharing an ontology IRI do not clash
                ontology = OWLManager.createOWLOntologyManager()
                        .loadOntologyFromOntologyDocument(new File(args[i]));
            } catch (Exception e) {
                System.err.println(args[i] + ": cannot load: " + e);
                System.exit(2);
                return;
            }
            OWLProfile[] profiles = {new OWL2RLProfile(), new OWL2DLProfile()};
            for (int p = 0; p < profiles.length; p++) {
                for (OWLProfileViolation v : profiles[p].checkOntology(ontology).getViolations()) {
                    String text = String.valueOf(v).replaceAll("\\s+", " ").trim();
                    System.out.println(i + "\t" + names[p] + "\t" + text);
                }
            }
            int annotated = 0;
            for (OWLAxiom axiom : ontology.getAxioms()) {
                for (OWLAnnotation annotation : axiom.getAnnotations()) {
                    if (annotation.getProperty().getIRI().toString()
                            .startsWith("https://w3id.org/kzgraph/ontology#")) {
                        annotated++;
                        break;
                    }
                }
            }
            System.out.println(i + "\tANNOTATED\t" + annotated);
        }
    }
}
