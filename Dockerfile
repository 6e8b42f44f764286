# evalsite: one image for the web server and the Celery worker.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic only reads settings; the key it is given here is never used to sign.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "evalsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
