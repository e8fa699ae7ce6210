"""Spanish for the public pages: `python tools/translations_es.py` fills liaison/locale/es/LC_MESSAGES/django.po.

Kept as data so that `makemessages` can be rerun and the translations reapplied; written for Liaison.
"""

ES = {
    "Search": "Buscar",
    "Your rights": "Sus derechos",
    "How to complain": "Cómo presentar una queja",
    "Where else you can go": "Otros lugares a los que puede acudir",
    "Hospital policies": "Normas del hospital",
    "Questions and answers": "Preguntas y respuestas",
    "When did it happen?": "¿Cuándo ocurrió?",
    "An approximate date is fine. Leave it empty if you are not sure.": "Basta con una fecha aproximada. Déjelo en blanco si no está seguro/a.",
    "Where in the hospital?": "¿En qué parte del hospital?",
    "I am not sure": "No estoy seguro/a",
    "What happened?": "¿Qué ocurrió?",
    "I would like this sorted out informally, without a formal complaint": "Prefiero que se resuelva de manera informal, sin una queja formal",
    "You can still make a formal complaint later.": "Podrá presentar una queja formal más adelante si lo desea.",
    "What would you like to thank us for?": "¿Por qué desea darnos las gracias?",
    "What would you like to ask?": "¿Qué desea preguntar?",
    "This date is in the future.": "Esta fecha es posterior a hoy.",
    "Me": "Yo",
    "Someone else (I am writing for them)": "Otra persona (escribo en su nombre)",
    "Who is this about?": "¿A quién se refiere?",
    "The patient's full name": "Nombre completo del paciente",
    "The patient's date of birth": "Fecha de nacimiento del paciente",
    "Your relationship to the patient": "Su relación con el paciente",
    "For example: daughter, husband, carer.": "Por ejemplo: hija, esposo, cuidador/a.",
    "The patient has agreed that I can act for them, or I have the legal authority to do so": "El paciente está de acuerdo en que actúe en su nombre, o tengo autoridad legal para hacerlo",
    "We may ask the patient to confirm. We cannot share the patient's information without their consent.": "Es posible que pidamos al paciente que lo confirme. No podemos compartir la información del paciente sin su consentimiento.",
    "Tell us your relationship to the patient.": "Indíquenos su relación con el paciente.",
    "Confirm that the patient agrees, or that you have the authority to act for them.": "Confirme que el paciente está de acuerdo o que tiene autoridad para actuar en su nombre.",
    "What would put it right for you?": "¿Qué le ayudaría a resolverlo?",
    "For example: an apology, an explanation, a change so it does not happen again.": "Por ejemplo: una disculpa, una explicación, un cambio para que no vuelva a ocurrir.",
    "Your full name": "Su nombre completo",
    "Email": "Correo electrónico",
    "We will send your reference and updates here.": "Le enviaremos aquí su referencia y las novedades.",
    "Phone": "Teléfono",
    "Which language should we use?": "¿En qué idioma prefiere que le escribamos?",
    "I would like an interpreter": "Necesito un intérprete",
    "Anything that would help you, such as large print or a phone call instead of letters": "Cualquier cosa que le ayude, como letra grande o una llamada en lugar de cartas",
    "Give us an email address or a phone number so we can reply.": "Indique un correo electrónico o un teléfono para que podamos responderle.",
    "Add a file": "Añadir un archivo",
    "Add another file": "Añadir otro archivo",
    "Leave this empty": "Deje esto en blanco",
    "This file is too big: the limit is %(mb)s MB.": "Este archivo es demasiado grande: el límite es de %(mb)s MB.",
    "This kind of file cannot be sent. Use %(kinds)s.": "No se puede enviar este tipo de archivo. Utilice %(kinds)s.",
    "Your reference": "Su referencia",
    "For example RGH-2026-00042.": "Por ejemplo, RGH-2026-00042.",
    "Your progress code": "Su código de seguimiento",
    "The code we gave you with your reference.": "El código que le dimos junto con su referencia.",
    "Dear %(name)s,": "Estimado/a %(name)s:",
    "Our patient relations team thought this information may help you:": "Nuestro equipo de atención al paciente cree que esta información puede serle útil:",
    "If you have any questions, reply to this email or call us on %(phone)s.": "Si tiene alguna pregunta, responda a este correo o llámenos al %(phone)s.",
    "Patient relations": "Atención al paciente",
    "Your rights and how complaints work": "Sus derechos y cómo funcionan las quejas",
    "This page is not yet available in your language, so it is shown in English.": "Esta página todavía no está disponible en su idioma, por eso se muestra en inglés.",
    "Last updated %(date)s.": "Última actualización: %(date)s.",
    "Questions? Contact the patient relations team:": "¿Tiene preguntas? Póngase en contacto con el equipo de atención al paciente:",
    "Raise a concern, make a complaint or give a compliment": "Plantear una inquietud, presentar una queja o hacer un elogio",
    "Information from %(name)s: your rights as a patient, how to raise a concern or make a complaint, and where else you can go for help.": "Información de %(name)s: sus derechos como paciente, cómo plantear una inquietud o presentar una queja, y a qué otros lugares puede acudir para pedir ayuda.",
    "Search these pages": "Buscar en estas páginas",
    "Pages that mention “%(query)s”.": "Páginas que mencionan «%(query)s».",
    "Show all pages": "Mostrar todas las páginas",
    "(in English)": "(en inglés)",
    "No page matches your search. Try other words, or call us.": "Ninguna página coincide con su búsqueda. Pruebe con otras palabras o llámenos.",
    "No information has been published here yet.": "Todavía no se ha publicado información aquí.",
    "Skip to main content": "Saltar al contenido principal",
    "Check progress": "Consultar el estado",
    "Please try again later": "Inténtelo de nuevo más tarde",
    "There have been too many attempts to check progress from your connection. Please wait an hour and try again.": "Ha habido demasiados intentos de consulta desde su conexión. Espere una hora y vuelva a intentarlo.",
    "We have received a lot of messages from your connection or for this hospital in the last hour, so we cannot take another one right now. Nothing you sent before has been lost.": "En la última hora hemos recibido muchos mensajes desde su conexión o para este hospital, así que ahora no podemos aceptar otro. No se ha perdido nada de lo que envió antes.",
    "If it is urgent, call us on %(phone)s.": "Si es urgente, llámenos al %(phone)s.",
    "Check and send": "Revisar y enviar",
    "Step %(number)s of %(total)s": "Paso %(number)s de %(total)s",
    "When": "Cuándo",
    "Where": "Dónde",
    "Not sure": "No lo sé",
    "What you told us": "Lo que nos ha contado",
    "About": "Sobre",
    "You": "Usted",
    "What would put it right": "Qué le ayudaría a resolverlo",
    "Your contact details": "Sus datos de contacto",
    "Change your answers": "Cambiar sus respuestas",
    "Files (optional)": "Archivos (opcional)",
    "You can add up to %(max_files)s files, each up to %(max_mb)s MB: PDF, Word (.docx), photos (JPEG, PNG, GIF) or plain text.": "Puede añadir hasta %(max_files)s archivos de %(max_mb)s MB como máximo cada uno: PDF, Word (.docx), fotos (JPEG, PNG, GIF) o texto sin formato.",
    "Send": "Enviar",
    "Give a compliment": "Hacer un elogio",
    "Ask a question": "Hacer una pregunta",
    "Raise a concern or make a complaint": "Plantear una inquietud o presentar una queja",
    "What happened": "Qué ocurrió",
    "Who it is about": "A quién se refiere",
    "How to contact you": "Cómo contactar con usted",
    "Continue": "Continuar",
    "Back": "Volver",
    "Tell us about your care": "Cuéntenos cómo le hemos atendido",
    "The patient relations team at %(name)s listens to patients, families and carers, and helps put things right.": "El equipo de atención al paciente de %(name)s escucha a pacientes, familias y cuidadores, y ayuda a resolver lo que no ha ido bien.",
    "Something went wrong, or you are worried about care.": "Algo salió mal o le preocupa la atención recibida.",
    "Thank a person or a team.": "Dé las gracias a una persona o a un equipo.",
    "About your rights, our services or how things work.": "Sobre sus derechos, nuestros servicios o cómo funcionan las cosas.",
    "Check the progress of your case": "Consultar el estado de su caso",
    "You need your reference and your progress code.": "Necesitará su referencia y su código de seguimiento.",
    "You do not need an account. It takes about five minutes.": "No necesita una cuenta. Se tarda unos cinco minutos.",
    "Prefer to talk? Call us on %(phone)s.": "¿Prefiere hablar? Llámenos al %(phone)s.",
    "We could not find a case with that reference and code. Check them and try again, or contact us.": "No hemos encontrado ningún caso con esa referencia y ese código. Compruébelos e inténtelo de nuevo, o póngase en contacto con nosotros.",
    "Case %(ref)s": "Caso %(ref)s",
    "Received: we will contact you soon.": "Recibido: nos pondremos en contacto con usted pronto.",
    "Acknowledged: we are looking into it.": "Acuse de recibo enviado: lo estamos revisando.",
    "Being investigated.": "En investigación.",
    "We have sent you our response.": "Le hemos enviado nuestra respuesta.",
    "Closed.": "Cerrado.",
    "Withdrawn.": "Retirado.",
    "Passed to another organisation.": "Remitido a otra organización.",
    "Received": "Recibido",
    "Acknowledged": "Acuse de recibo",
    "Response due by": "Respuesta prevista antes del",
    "Response sent": "Respuesta enviada",
    "Your contact": "Su contacto",
    "Thank you": "Gracias",
    "We have received what you sent us.": "Hemos recibido lo que nos ha enviado.",
    "Keep both safe: with them you can check the progress of your case on this website. We have also sent them to you by email if you gave us an address.": "Guarde ambos en un lugar seguro: con ellos puede consultar el estado de su caso en este sitio web. También se los hemos enviado por correo electrónico si nos dio una dirección.",
    "We could not keep some of your files because we have received a lot today. Please send them by email, quoting your reference.": "No hemos podido guardar algunos de sus archivos porque hoy hemos recibido muchos. Envíelos por correo electrónico indicando su referencia.",
    "What happens next: we will contact you to acknowledge your complaint and agree how we will look into it.": "Qué ocurre ahora: nos pondremos en contacto con usted para confirmar la recepción de su queja y acordar cómo la vamos a investigar.",
    "Back to the start": "Volver al inicio",
    "Information from %(name)s: %(title)s": "Información de %(name)s: %(title)s",
    "(optional)": "(opcional)",
    "Error:": "Error:",
    "There is a problem": "Hay un problema",
}


def main() -> None:
    import polib

    path = "liaison/locale/es/LC_MESSAGES/django.po"
    po = polib.pofile(path)
    missing = []
    for entry in po:
        if entry.msgid in ES:
            entry.msgstr = ES[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    po.metadata["Language"] = "es"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save(path)
    po.save_as_mofile(path[:-3] + ".mo")
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    for msgid in missing:
        print("  missing:", msgid)


if __name__ == "__main__":
    main()
